// confab_transfer_bench: file upload and download through the SDK, beside curl, against a
// confab-server on loopback (its HTTP API).
//
// Each run uploads a fresh --size-mib file (the same bytes but its first eight, so that
// each one is a new attachment with its own SHA-256), and then downloads it:
//  - SDK upload: send() of a message with the file as its attachment, until the message is
//    acked (the figure), and until its upload's on_upload says `done`. send() copies and
//    hashes the file before it returns; that is part of both.
//  - curl upload, resumable: POST /v1/uploads {size, sha256}, then one PATCH with the whole
//    file (`Upload-Offset: 0`): two curl processes, both timed.
//  - curl upload, whole body: POST /v1/attachments with the file.
//  - SDK download: another user's client download()s the attachment to a path (checked
//    against its size and SHA-256 by the SDK; then here too, untimed).
//  - curl download: GET /v1/attachments/{id} with `curl -o` (checked here too, untimed).
// Same server, same tokens (token-alice uploads, token-bob downloads), one run after the
// other, the order of SDK and curl alternating from run to run. Each figure is the median
// of --repeats runs, in MB/s (10^6 bytes per second); each ratio the median of the runs'
// own SDK / curl time ratios.
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include "child_process.h"
#include "stats.h"
#include "waiter.h"
#include "confab/client.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

using confab::bench::median;
using confab::bench::Waiter;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "confab_transfer_bench: %s\n", what.c_str());
  std::exit(1);
}

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string sha256_hex(const std::string& bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xf]);
  }
  return hex;
}

// Runs a program to its end, its stdout into `out` (or discarded); its exit status.
int run(const std::vector<std::string>& args, const fs::path& out = "/dev/null") {
  pid_t pid = fork();
  if (pid < 0) fail("fork: " + std::string(std::strerror(errno)));
  if (pid == 0) {
    std::FILE* f = std::freopen(out.c_str(), "w", stdout);
    if (!f) _exit(126);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

class Server {
 public:
  Server(const std::string& binary, const fs::path& dir) {
    std::ofstream(dir / "server.json") << R"({
      "users": [
        {"id": "alice", "name": "Alice", "tokens": ["token-alice"]},
        {"id": "bob", "name": "Bob", "tokens": ["token-bob"]}
      ],
      "conversations": [{"id": "c_files", "kind": "channel", "members": ["alice", "bob"]}]
    })";
    process_ = std::make_unique<confab::test::ChildProcess>(
        std::vector<std::string>{binary, "--config", (dir / "server.json").string(), "--port", "0", "--http-port", "0",
                                 "--database", (dir / "server.db").string(), "--log-level", "warn"},
        dir / "server.log");
    // "confab-server listening on ADDRESS:PORT", then "confab-server http on ADDRESS:PORT".
    auto ws = process_->read_line(15s);
    auto http = process_->read_line(15s);
    if (!ws || !http) fail("the server did not start; see " + (dir / "server.log").string());
    port_ = static_cast<std::uint16_t>(std::stoi(ws->substr(ws->rfind(':') + 1)));
    http_port_ = static_cast<std::uint16_t>(std::stoi(http->substr(http->rfind(':') + 1)));
  }
  ~Server() { process_->kill_and_wait(SIGTERM); }
  std::string url() const { return "ws://127.0.0.1:" + std::to_string(port_) + "/"; }
  std::string http_url() const { return "http://127.0.0.1:" + std::to_string(http_port_); }

 private:
  std::unique_ptr<confab::test::ChildProcess> process_;
  std::uint16_t port_ = 0;
  std::uint16_t http_port_ = 0;
};

// A connected client of the bench's server, its callbacks waking `waiter`.
struct Device {
  Device(const Server& server, const fs::path& dir, const std::string& user) {
    confab::ClientOptions options;
    options.device_id = user + "-device";
    options.database_path = dir / (user + ".db");
    options.allow_insecure_transport = true;
    options.files.http_url = server.http_url();
    auto opened = confab::Client::open(options);
    if (!opened) fail("open: " + confab::describe(opened.error()));
    client = std::move(opened).value();
    subscriptions.push_back(client->on_connection([this](const confab::ConnectionChange& c) {
      connected = c.state == confab::ConnectionState::connected;
      waiter.notify();
    }));
    if (!client->connect(server.url(), "token-" + user)) fail("connect");
    if (!waiter.wait([&] { return connected.load(); }, 10s)) fail(user + " could not connect");
  }

  std::unique_ptr<confab::Client> client;
  Waiter waiter;
  std::atomic<bool> connected = false;
  std::vector<confab::Subscription> subscriptions;
};

struct Times {
  std::vector<double> sdk_up_acked, sdk_up_done, curl_up_session, curl_up_whole, sdk_down, curl_down;
};

struct SdkUpload {
  double acked_s = 0;
  double done_s = 0;
  confab::Attachment attachment;
};

SdkUpload sdk_upload(Device& alice, const fs::path& file, int run_index) {
  // By local id, what each row's callbacks said: kept from the first callback on, since
  // send() returns its local id only after the upload may have begun.
  std::mutex mutex;
  std::map<std::int64_t, double> done_s;
  std::map<std::int64_t, std::pair<double, confab::LocalMessage>> sent_s;
  const auto start = Clock::now();
  auto uploads = alice.client->on_upload([&](const confab::UploadProgress& p) {
    if (p.state == confab::TransferState::done) {
      std::lock_guard hold(mutex);
      done_s.try_emplace(p.local_id, seconds_since(start));
    }
    alice.waiter.notify();
  });
  auto outbox = alice.client->on_outbox([&](const confab::LocalMessage& m) {
    if (m.state == confab::OutboxState::sent) {
      std::lock_guard hold(mutex);
      sent_s.try_emplace(m.local_id, seconds_since(start), m);
    }
    alice.waiter.notify();
  });
  confab::SendOptions options;
  options.attachments = {confab::FileToSend{file, {}, "run-" + std::to_string(run_index) + ".bin", {}}};
  auto sent = alice.client->send("c_files", "file " + std::to_string(run_index), options);
  if (!sent) fail("send: " + confab::describe(sent.error()));
  const auto id = sent->local_id;
  if (!alice.waiter.wait(
          [&] {
            std::lock_guard hold(mutex);
            return sent_s.count(id) > 0 && done_s.count(id) > 0;
          },
          120s)) {
    fail("the message with the file was not acked, or its upload not reported done, in 120 s");
  }
  std::lock_guard hold(mutex);
  const auto& [acked_s, message] = sent_s.at(id);
  if (message.attachments.size() != 1 || message.attachments[0].attachment_id.empty()) {
    fail("the acked message does not name its file");
  }
  return SdkUpload{acked_s, done_s.at(id), message.attachments[0]};
}

void check_file(const fs::path& path, std::int64_t size, const std::string& sha256, const char* what) {
  auto bytes = read_all(path);
  if (static_cast<std::int64_t>(bytes.size()) != size || sha256_hex(bytes) != sha256) {
    fail(std::string(what) + " did not give the file's bytes");
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"File upload and download: the SDK beside curl, on loopback"};
  std::string server_binary = CONFAB_SERVER_BINARY;
  std::string curl = "curl";
  int size_mib = 25;
  int repeats = 5;
  std::string work_dir;
  app.add_option("--server", server_binary, "confab-server binary")->check(CLI::ExistingFile);
  app.add_option("--curl", curl, "curl binary");
  app.add_option("--size-mib", size_mib, "the file's size (the server takes up to 25)")->check(CLI::Range(1, 25));
  app.add_option("--repeats", repeats)->check(CLI::Range(1, 100));
  app.add_option("--work-dir", work_dir, "keep the server's and clients' files here (emptied first)");
  CLI11_PARSE(app, argc, argv);

  fs::path dir = work_dir.empty() ? fs::temp_directory_path() / ("confab-transfer-" + std::to_string(getpid()))
                                  : fs::path(work_dir);
  fs::remove_all(dir);
  fs::create_directories(dir);
  if (run({curl, "--version"}) != 0) fail("cannot run " + curl);

  Server server(server_binary, dir);
  Device alice(server, dir, "alice");
  Device bob(server, dir, "bob");
  const std::string http = server.http_url();

  const auto size = static_cast<std::int64_t>(size_mib) * 1024 * 1024;
  std::string bytes(static_cast<std::size_t>(size), '\0');
  std::mt19937_64 random(20261202);
  for (std::size_t i = 0; i + 8 <= bytes.size(); i += 8) {
    auto word = random();
    std::memcpy(&bytes[i], &word, 8);
  }

  Times times;
  for (int r = 0; r < repeats; ++r) {
    std::memcpy(bytes.data(), &r, sizeof r);
    const fs::path file = dir / "upload.bin";
    std::ofstream(file, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    const std::string sha256 = sha256_hex(bytes);
    const bool sdk_first = r % 2 == 0;

    // Uploads.
    SdkUpload uploaded;
    auto sdk_up = [&] {
      uploaded = sdk_upload(alice, file, r);
      if (uploaded.attachment.size != size || uploaded.attachment.sha256 != sha256) fail("the server has other bytes");
      times.sdk_up_acked.push_back(uploaded.acked_s);
      times.sdk_up_done.push_back(uploaded.done_s);
    };
    auto curl_up = [&] {
      const std::vector<std::string> auth{curl, "-sS", "-f", "-H", "Authorization: Bearer token-alice"};
      auto with = [&](std::vector<std::string> more) {
        auto args = auth;
        args.insert(args.end(), more.begin(), more.end());
        return args;
      };
      auto start = Clock::now();
      nlohmann::json body{{"size", size}, {"sha256", sha256}};
      if (run(with({"-X", "POST", "-H", "Content-Type: application/json", "--data-binary", body.dump(),
                    http + "/v1/uploads"}),
              dir / "session.json") != 0) {
        fail("curl POST /v1/uploads failed");
      }
      auto session = nlohmann::json::parse(read_all(dir / "session.json"));
      if (run(with({"-X", "PATCH", "-H", "Upload-Offset: 0", "-H", "Content-Type: application/offset+octet-stream",
                    "--data-binary", "@" + file.string(),
                    http + "/v1/uploads/" + session.at("uploadId").get<std::string>()}),
              dir / "patched.json") != 0) {
        fail("curl PATCH /v1/uploads failed");
      }
      times.curl_up_session.push_back(seconds_since(start));
      if (nlohmann::json::parse(read_all(dir / "patched.json")).value("attachmentId", "").empty()) {
        fail("the PATCH did not complete the upload");
      }

      start = Clock::now();
      if (run(with({"-X", "POST", "-H", "Content-Type: application/octet-stream", "--data-binary",
                    "@" + file.string(), http + "/v1/attachments"}),
              dir / "whole.json") != 0) {
        fail("curl POST /v1/attachments failed");
      }
      times.curl_up_whole.push_back(seconds_since(start));
      if (nlohmann::json::parse(read_all(dir / "whole.json")).value("sha256", "") != sha256) {
        fail("the whole-body upload stored other bytes");
      }
    };
    if (sdk_first) {
      sdk_up();
      curl_up();
    } else {
      curl_up();
      sdk_up();
    }

    // Downloads of the SDK's upload, by bob (a member of the conversation, not the uploader).
    const fs::path sdk_copy = dir / "sdk-download.bin";
    const fs::path curl_copy = dir / "curl-download.bin";
    auto sdk_down = [&] {
      auto start = Clock::now();
      auto got = bob.client->download(uploaded.attachment, sdk_copy).wait();
      if (!got) fail("download: " + confab::describe(got.error()));
      times.sdk_down.push_back(seconds_since(start));
      check_file(*got, size, sha256, "download()");
    };
    auto curl_down = [&] {
      auto start = Clock::now();
      if (run({curl, "-sS", "-f", "-H", "Authorization: Bearer token-bob", "-o", curl_copy.string(),
               http + "/v1/attachments/" + uploaded.attachment.attachment_id}) != 0) {
        fail("curl GET /v1/attachments failed");
      }
      times.curl_down.push_back(seconds_since(start));
      check_file(curl_copy, size, sha256, "curl -o");
    };
    if (sdk_first) {
      sdk_down();
      curl_down();
    } else {
      curl_down();
      sdk_down();
    }
    fs::remove(sdk_copy);
    fs::remove(curl_copy);
    std::fprintf(stderr, "run %d: up sdk %.3f s (done %.3f), curl %.3f / %.3f s; down sdk %.3f s, curl %.3f s\n", r + 1,
                 times.sdk_up_acked.back(), times.sdk_up_done.back(), times.curl_up_session.back(),
                 times.curl_up_whole.back(), times.sdk_down.back(), times.curl_down.back());
  }

  auto mbps = [&](const std::vector<double>& s) { return static_cast<double>(size) / median(s) / 1e6; };
  auto ratio = [](const std::vector<double>& a, const std::vector<double>& b) {
    std::vector<double> r;
    for (std::size_t i = 0; i < a.size(); ++i) r.push_back(a[i] / b[i]);
    return median(r);
  };
  std::printf("%d MiB file, median of %d runs on loopback (MB/s = 10^6 bytes/s):\n\n", size_mib, repeats);
  std::printf("| transfer | median time | MB/s | SDK / curl time (median of per-run ratios) |\n|---|---|---|---|\n");
  std::printf("| SDK upload: send() until acked | %.3f s | %.0f | %.2f× (vs session) · %.2f× (vs whole body) |\n",
              median(times.sdk_up_acked), mbps(times.sdk_up_acked), ratio(times.sdk_up_acked, times.curl_up_session),
              ratio(times.sdk_up_acked, times.curl_up_whole));
  std::printf("| SDK upload: send() until on_upload done | %.3f s | %.0f | %.2f× (vs session) |\n",
              median(times.sdk_up_done), mbps(times.sdk_up_done), ratio(times.sdk_up_done, times.curl_up_session));
  std::printf("| curl upload: POST /v1/uploads + PATCH | %.3f s | %.0f | |\n", median(times.curl_up_session),
              mbps(times.curl_up_session));
  std::printf("| curl upload: POST /v1/attachments | %.3f s | %.0f | |\n", median(times.curl_up_whole),
              mbps(times.curl_up_whole));
  std::printf("| SDK download() to a path, checked | %.3f s | %.0f | %.2f× |\n", median(times.sdk_down),
              mbps(times.sdk_down), ratio(times.sdk_down, times.curl_down));
  std::printf("| curl -o GET /v1/attachments/{id} | %.3f s | %.0f | |\n", median(times.curl_down),
              mbps(times.curl_down));

  alice.subscriptions.clear();
  bob.subscriptions.clear();
  if (work_dir.empty()) {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  return 0;
}
