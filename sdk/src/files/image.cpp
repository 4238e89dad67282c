#include "files/image.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include <openssl/evp.h>

// The implementations, static: a program that links its own stb sees no clash.
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_GIF
#define STBI_ONLY_BMP
#define STBI_NO_STDIO
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wdouble-promotion"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#include <stb/stb_image.h>
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop

#include "protocol/protocol.h"

namespace confab::files {
namespace {

// Decoding costs about 4 bytes a pixel: beyond this many pixels, no preview.
constexpr long long kMaxPreviewPixels = 40LL * 1000 * 1000;

std::string base64(const std::vector<unsigned char>& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(std::max(written, 0)));
  return out;
}

// Averages the source pixels that fall into each target pixel (a box filter): enough for
// a preview that is shown blurred and small.
std::vector<unsigned char> shrink(const unsigned char* pixels, int width, int height, int to_width, int to_height) {
  std::vector<unsigned char> out(static_cast<std::size_t>(to_width) * to_height * 3);
  for (int y = 0; y < to_height; ++y) {
    int y0 = y * height / to_height;
    int y1 = std::max(y0 + 1, (y + 1) * height / to_height);
    for (int x = 0; x < to_width; ++x) {
      int x0 = x * width / to_width;
      int x1 = std::max(x0 + 1, (x + 1) * width / to_width);
      std::uint64_t sum[3] = {0, 0, 0};
      for (int sy = y0; sy < y1; ++sy) {
        for (int sx = x0; sx < x1; ++sx) {
          const unsigned char* p = pixels + (static_cast<std::size_t>(sy) * width + sx) * 3;
          sum[0] += p[0];
          sum[1] += p[1];
          sum[2] += p[2];
        }
      }
      auto count = static_cast<std::uint64_t>(y1 - y0) * static_cast<std::uint64_t>(x1 - x0);
      unsigned char* q = out.data() + (static_cast<std::size_t>(y) * to_width + x) * 3;
      for (int c = 0; c < 3; ++c) q[c] = static_cast<unsigned char>(sum[c] / count);
    }
  }
  return out;
}

void append(void* context, void* data, int size) {
  auto* out = static_cast<std::vector<unsigned char>*>(context);
  auto* bytes = static_cast<unsigned char*>(data);
  out->insert(out->end(), bytes, bytes + size);
}

}  // namespace

std::optional<ImageInfo> describe_image(std::string_view bytes) {
  if (bytes.empty() || bytes.size() > static_cast<std::size_t>(INT32_MAX)) return std::nullopt;
  const auto* data = reinterpret_cast<const stbi_uc*>(bytes.data());
  const int length = static_cast<int>(bytes.size());
  int width = 0;
  int height = 0;
  int channels = 0;
  if (stbi_info_from_memory(data, length, &width, &height, &channels) == 0) return std::nullopt;
  if (width < 1 || height < 1 || width > protocol::kMaxPixelSize || height > protocol::kMaxPixelSize) {
    return std::nullopt;
  }
  ImageInfo info{width, height, {}};
  if (static_cast<long long>(width) * height > kMaxPreviewPixels) return info;
  unsigned char* pixels = stbi_load_from_memory(data, length, &width, &height, &channels, 3);
  if (pixels == nullptr) return info;
  double scale = std::min(1.0, static_cast<double>(kPreviewSide) / std::max(width, height));
  int to_width = std::max(1, static_cast<int>(width * scale + 0.5));
  int to_height = std::max(1, static_cast<int>(height * scale + 0.5));
  auto small = shrink(pixels, width, height, to_width, to_height);
  stbi_image_free(pixels);
  // Lower the quality until the preview fits the protocol's limit.
  for (int quality : {60, 40, 25}) {
    std::vector<unsigned char> jpeg;
    if (stbi_write_jpg_to_func(append, &jpeg, to_width, to_height, 3, small.data(), quality) == 0) break;
    auto encoded = base64(jpeg);
    if (encoded.size() <= protocol::kMaxPreviewBytes) {
      info.preview = std::move(encoded);
      break;
    }
  }
  return info;
}

}  // namespace confab::files
