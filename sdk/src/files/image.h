// What a timeline needs to lay out an image before it is downloaded: its pixel size and a
// small preview, made on the sender's device from the file's bytes (stb_image, from
// Debian's libstb-dev, compiled in with its functions kept private to this file).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace confab::files {

struct ImageInfo {
  int width = 0;
  int height = 0;
  // A JPEG of at most kPreviewSide pixels a side, in base64 (within the protocol's
  // kMaxPreviewBytes); empty when the image is too large to decode cheaply.
  std::string preview;
};

inline constexpr int kPreviewSide = 48;

// PNG, JPEG, GIF (its first frame) and BMP; nullopt for anything else or a damaged file.
std::optional<ImageInfo> describe_image(std::string_view bytes);

}  // namespace confab::files
