// confab_chaos: N users × M devices, each device the real SDK in its own process behind
// its own fault proxy, send into channels, DMs and group DMs while a seeded schedule of
// faults runs (latency, slicing, resets, blackholes, server and device kill -9, lost acks,
// duplicated deliveries). Every --files-every'th message of a device carries a small file,
// uploaded over the server's HTTP API through a second proxy of that device with the same
// faults. Then the faults stop, everything heals, a device of another member downloads
// each file, and the history is checked: lost, duplicated, unexpected, reordered,
// divergent, stuck and corrupted must all be 0.
//
//   confab_chaos [--seed S] [--duration SECONDS] [--messages N] [--users N] [--devices M]
//                [--files-every N]
//
// Exit status 0 when every count is 0; 1 otherwise (the first anomalies are printed).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>

#include "device_runner.h"
#include "fault_plan.h"
#include "fault_proxy.h"
#include "history_check.h"
#include "http_client.h"
#include "server_process.h"
#include "temp_dir.h"

#ifndef CONFAB_CHAOS_DEVICE_BINARY
#error "CONFAB_CHAOS_DEVICE_BINARY must name the chaos device executable"
#endif

namespace confab::chaos {
namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct RunOptions {
  std::uint64_t seed = 20261122;
  int duration_s = 75;
  int messages = 0;  // 0: from interval_ms
  int interval_ms = 150;
  int users = 3;
  int devices_per_user = 2;
  int files_every = 7;  // 0: no files
  int heal_s = 90;
  std::string work_dir;
};

struct Conversation {
  std::string id;
  std::string kind;
  std::vector<int> members;
};

std::string user_id(int u) { return "u" + std::to_string(u); }

// A public channel for everyone, a private one for all but the last user, a DM for each
// pair among the first five users, and a group DM of the first four.
std::vector<Conversation> plan_conversations(int users) {
  std::vector<Conversation> plan;
  Conversation all{"ch-all", "channel", {}};
  for (int u = 0; u < users; ++u) all.members.push_back(u);
  plan.push_back(all);
  if (users >= 3) {
    Conversation some{"ch-some", "private_channel", {}};
    for (int u = 0; u < users - 1; ++u) some.members.push_back(u);
    plan.push_back(some);
  }
  for (int a = 0; a < std::min(users, 5); ++a) {
    for (int b = a + 1; b < std::min(users, 5); ++b) {
      plan.push_back({"dm-" + std::to_string(a) + "-" + std::to_string(b), "dm", {a, b}});
    }
  }
  if (users >= 3) {
    Conversation group{"grp", "group_dm", {}};
    for (int u = 0; u < std::min(users, 4); ++u) group.members.push_back(u);
    plan.push_back(group);
  }
  return plan;
}

std::string server_config(int users, const std::vector<Conversation>& conversations) {
  Json config;
  for (int u = 0; u < users; ++u) {
    config["users"].push_back({{"id", user_id(u)}, {"name", "User " + std::to_string(u)},
                               {"tokens", {"token-" + user_id(u)}}});
  }
  for (const auto& c : conversations) {
    Json members = Json::array();
    for (int u : c.members) members.push_back(user_id(u));
    config["conversations"].push_back({{"id", c.id}, {"kind", c.kind}, {"members", members}});
  }
  // A device down for a while must catch up on everything, not restart from a recent page.
  config["maxDifference"] = 10'000'000;
  return config.dump();
}

// The server, killed and restarted on the same database; the proxies follow its port.
class ServerHost {
 public:
  ServerHost(std::filesystem::path dir, std::string config) : dir_(std::move(dir)), config_(std::move(config)) {
    start();
  }
  bool up() const { return process_ != nullptr; }
  std::uint16_t port() const { return process_->port(); }
  std::uint16_t http_port() const { return process_->http_port(); }
  std::filesystem::path database() const { return dir_ / "server.db"; }

  void start() { process_ = std::make_unique<test::ServerProcess>(dir_, config_); }
  void kill() {
    process_->kill();
    process_.reset();
  }
  int stop() {
    int status = process_->terminate();
    process_.reset();
    return status;
  }
  // POSTs to the fault endpoint; false when the server is down or refuses.
  bool faults(const Json& body) {
    if (!process_) return false;
    auto res = test::HttpClient(process_->http_port(), std::chrono::seconds(10))
                   .post("/v1/admin/faults", body.dump(), "application/json");
    return res && res->status == 200;
  }

 private:
  std::filesystem::path dir_;
  std::string config_;
  std::unique_ptr<test::ServerProcess> process_;
};

class Run {
 public:
  explicit Run(RunOptions options) : options_(std::move(options)) {}
  int execute();

 private:
  double elapsed() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }
  void log(const std::string& what) const {
    std::printf("[%8.3f s] %s\n", elapsed(), what.c_str());
    std::fflush(stdout);
  }
  void start_device(std::size_t d) {
    devices_[d]->start(proxies_[d]->url(), "http://127.0.0.1:" + std::to_string(http_proxies_[d]->port()),
                       send_until_unix_ms_, options_.interval_ms, options_.files_every, options_.seed * 1000 + d);
  }
  // A device's faults apply to both its links, WebSocket and HTTP.
  void set_toxics(std::size_t d) {
    proxies_[d]->set_toxics(toxics_[d]);
    http_proxies_[d]->set_toxics(toxics_[d]);
  }
  void blackhole(std::size_t d) {
    proxies_[d]->blackhole(blackholes_[d] > 0);
    http_proxies_[d]->blackhole(blackholes_[d] > 0);
  }
  bool fetch_files();
  void apply(const Fault& f, bool begin, bool& active);
  bool heal();
  ServerState read_server(std::map<std::string, std::int64_t>& heads) const;
  std::vector<Attempt> attempts(std::size_t& refused) const;

  RunOptions options_;
  std::unique_ptr<test::TempDir> temp_;
  std::filesystem::path dir_;
  std::vector<Conversation> conversations_;
  std::unique_ptr<ServerHost> server_;
  std::vector<std::unique_ptr<test::FaultProxy>> proxies_;
  std::vector<std::unique_ptr<test::FaultProxy>> http_proxies_;
  std::vector<std::unique_ptr<DeviceRunner>> devices_;
  std::vector<test::Toxics> toxics_;
  std::vector<int> blackholes_;
  Clock::time_point start_;
  std::int64_t send_until_unix_ms_ = 0;
  ServerState server_state_;
  std::vector<DeviceReport> reports_;
};

void Run::apply(const Fault& f, bool begin, bool& active) {
  auto d = static_cast<std::size_t>(f.device < 0 ? 0 : f.device);
  switch (f.kind) {
    case FaultKind::latency:
      toxics_[d].latency = milliseconds(begin ? f.amount : 0);
      toxics_[d].jitter = milliseconds(begin ? f.amount / 2 : 0);
      set_toxics(d);
      break;
    case FaultKind::slicing:
      toxics_[d].slice_bytes = begin ? static_cast<std::size_t>(f.amount) : 0;
      set_toxics(d);
      break;
    case FaultKind::reset:
      for (std::size_t i = 0; i < proxies_.size(); ++i) {
        if (f.device >= 0 && i != d) continue;
        proxies_[i]->reset_all();
        http_proxies_[i]->reset_all();
      }
      break;
    case FaultKind::blackhole:
      blackholes_[d] += begin ? 1 : -1;
      blackhole(d);
      break;
    case FaultKind::server_kill:
      if (begin) {
        active = server_->up();
        if (active) server_->kill();
      } else if (active) {
        server_->start();
        for (auto& proxy : proxies_) proxy->set_upstream(server_->port());
        for (auto& proxy : http_proxies_) proxy->set_upstream(server_->http_port());
      }
      break;
    case FaultKind::device_kill:
      if (begin) {
        active = devices_[d]->running();
        if (active) devices_[d]->kill();
      } else if (active) {
        start_device(d);
      }
      break;
    case FaultKind::lost_acks:
      if (!server_->faults({{"dropAcks", f.amount}})) log("  (server down: not applied)");
      break;
    case FaultKind::duplicates:
      server_->faults({{"duplicateEvents", begin}});
      break;
  }
}

std::vector<Attempt> Run::attempts(std::size_t& refused) const {
  std::vector<Attempt> all;
  refused = 0;
  for (const auto& device : devices_) {
    std::map<std::string, std::size_t> by_text;
    for (const auto& line : device->lines()) {
      std::istringstream in(line);
      std::string word, conversation, text, mark;
      in >> word >> conversation >> text >> mark;
      if (word == "sending") {
        by_text[text] = all.size();
        all.push_back({device->spec().id, conversation, text, false, mark == "file"});
      } else if (word == "sent") {
        all[by_text.at(text)].returned = true;
      } else if (word == "refused") {
        ++refused;
      }
    }
  }
  return all;
}

ServerState Run::read_server(std::map<std::string, std::int64_t>& heads) const {
  SQLite::Database db(server_->database().string(), SQLite::OPEN_READONLY);
  ServerState state;
  // A chaos message carries at most one file: its first.
  SQLite::Statement events(db,
                           "SELECT e.conversation_id, e.seq, e.client_message_id, e.sender_id, e.body_text, a.id, "
                           "a.size, a.sha256 FROM events e "
                           "LEFT JOIN message_attachments l ON l.message_id = e.message_id AND l.position = 0 "
                           "LEFT JOIN attachments a ON a.id = l.attachment_id "
                           "WHERE e.kind = 'message.created' ORDER BY e.conversation_id, e.seq");
  while (events.executeStep()) {
    StoredMessage m{events.getColumn(1).getInt64(), events.getColumn(2).getString(), events.getColumn(3).getString(),
                    events.getColumn(4).getString(), std::nullopt};
    if (!events.getColumn(5).isNull()) {
      m.file = StoredFile{events.getColumn(5).getString(), events.getColumn(6).getInt64(),
                          events.getColumn(7).getString()};
    }
    state.committed[events.getColumn(0).getString()].push_back(std::move(m));
  }
  SQLite::Statement head(db, "SELECT conversation_id, MAX(seq) FROM events GROUP BY conversation_id");
  while (head.executeStep()) heads[head.getColumn(0).getString()] = head.getColumn(1).getInt64();
  SQLite::Statement members(db, "SELECT conversation_id, user_id FROM members");
  while (members.executeStep()) state.members[members.getColumn(0).getString()].insert(members.getColumn(1).getString());
  return state;
}

// Stops every fault, lets each device empty its outbox, then has each one catch up to
// the server's heads and report what it stored. False if a device did not answer.
bool Run::heal() {
  for (std::size_t d = 0; d < proxies_.size(); ++d) {
    toxics_[d] = {};
    blackholes_[d] = 0;
    set_toxics(d);
    blackhole(d);
  }
  server_->faults({{"clear", true}});
  const auto heal_deadline = milliseconds(options_.heal_s * 1000);

  std::vector<std::size_t> from(devices_.size());
  for (std::size_t d = 0; d < devices_.size(); ++d) {
    if (!devices_[d]->wait_for("idle", 0, heal_deadline)) return false;
    from[d] = devices_[d]->command("drain " + std::to_string(options_.heal_s));
  }
  reports_.assign(devices_.size(), {});
  for (std::size_t d = 0; d < devices_.size(); ++d) {
    auto line = devices_[d]->wait_for("drained", from[d], heal_deadline + std::chrono::seconds(5));
    if (!line) return false;
    reports_[d].unsent = std::stoul(devices_[d]->lines()[*line].substr(8));
  }
  log("every outbox drained (or gave up): reading the server");

  std::map<std::string, std::int64_t> heads;
  server_state_ = read_server(heads);
  for (std::size_t d = 0; d < devices_.size(); ++d) {
    std::string command = "dump " + std::to_string(options_.heal_s);
    for (const auto& c : devices_[d]->spec().conversations) command += " " + c + "=" + std::to_string(heads[c]);
    from[d] = devices_[d]->command(command);
  }
  for (std::size_t d = 0; d < devices_.size(); ++d) {
    auto end = devices_[d]->wait_for("end", from[d], heal_deadline + std::chrono::seconds(5));
    if (!end) return false;
    auto lines = devices_[d]->lines();
    auto& report = reports_[d];
    report.device = devices_[d]->spec().id;
    report.user = devices_[d]->spec().user;
    for (std::size_t i = from[d]; i < *end; ++i) {
      std::istringstream in(lines[i]);
      std::string word;
      in >> word;
      if (word == "caught-up") {
        int yes = 0;
        in >> yes;
        report.reported = yes == 1;
      } else if (word == "heard") {
        in >> report.heard_twice >> report.heard_out_of_order;
      } else if (word == "conv") {
        std::string conversation;
        in >> conversation;
        report.stored[conversation];
      } else if (word == "msg") {
        std::string conversation;
        StoredMessage m;
        in >> conversation >> m.seq >> m.client_message_id >> m.sender >> m.text;
        if (StoredFile file; in >> file.attachment_id >> file.size >> file.sha256) m.file = file;
        report.stored[conversation].push_back(m);
      }
    }
  }
  return fetch_files();
}

// Each file on the server is downloaded by one device of a member other than its sender
// (in turn), through that device's HTTP proxy, and read back.
bool Run::fetch_files() {
  std::vector<std::string> texts(devices_.size());
  std::size_t turn = 0;
  for (const auto& [conversation, messages] : server_state_.committed) {
    const auto& members = server_state_.members.at(conversation);
    for (const auto& m : messages) {
      if (!m.file) continue;
      std::vector<std::size_t> readers;
      for (std::size_t d = 0; d < devices_.size(); ++d) {
        const auto& spec = devices_[d]->spec();
        if (members.count(spec.user) && spec.user != m.sender && reports_[d].reported) readers.push_back(d);
      }
      if (readers.empty()) continue;
      texts[readers[turn++ % readers.size()]] += " " + m.text;
    }
  }
  std::vector<std::size_t> from(devices_.size());
  for (std::size_t d = 0; d < devices_.size(); ++d) {
    from[d] = devices_[d]->command("fetch " + std::to_string(options_.heal_s) + texts[d]);
  }
  const auto deadline = milliseconds(options_.heal_s * 1000) + std::chrono::seconds(5);
  for (std::size_t d = 0; d < devices_.size(); ++d) {
    auto end = devices_[d]->wait_for("end", from[d], deadline);
    if (!end) return false;
    auto lines = devices_[d]->lines();
    for (std::size_t i = from[d]; i < *end; ++i) {
      std::istringstream in(lines[i]);
      std::string word;
      Download got;
      in >> word >> got.text;
      if (word == "fetched") {
        got.ok = static_cast<bool>(in >> got.size >> got.sha256);
      } else if (word == "unfetched") {
        std::getline(in >> std::ws, got.error);
      } else {
        continue;
      }
      reports_[d].downloads.push_back(std::move(got));
    }
  }
  return true;
}

int Run::execute() {
  if (options_.work_dir.empty()) {
    temp_ = std::make_unique<test::TempDir>();
    dir_ = temp_->path();
  } else {
    dir_ = options_.work_dir;
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  const int device_count = options_.users * options_.devices_per_user;
  if (options_.messages > 0) {
    options_.interval_ms = std::max(1, options_.duration_s * 1000 * device_count / options_.messages);
  }
  std::printf("chaos: seed %llu, %d users x %d devices, %d s of faults, a send every %d ms per device (mean)\n",
              static_cast<unsigned long long>(options_.seed), options_.users, options_.devices_per_user,
              options_.duration_s, options_.interval_ms);
  std::printf("chaos: replay with --seed %llu --duration %d --users %d --devices %d --interval-ms %d --files-every %d\n",
              static_cast<unsigned long long>(options_.seed), options_.duration_s, options_.users,
              options_.devices_per_user, options_.interval_ms, options_.files_every);

  conversations_ = plan_conversations(options_.users);
  server_ = std::make_unique<ServerHost>(dir_ / "server", server_config(options_.users, conversations_));
  for (int u = 0; u < options_.users; ++u) {
    DeviceSpec spec{"", user_id(u), "token-" + user_id(u), {}};
    for (const auto& c : conversations_) {
      if (std::find(c.members.begin(), c.members.end(), u) != c.members.end()) spec.conversations.push_back(c.id);
    }
    for (int m = 0; m < options_.devices_per_user; ++m) {
      spec.id = user_id(u) + "-d" + std::to_string(m);
      proxies_.push_back(std::make_unique<test::FaultProxy>(server_->port()));
      http_proxies_.push_back(std::make_unique<test::FaultProxy>(server_->http_port()));
      devices_.push_back(std::make_unique<DeviceRunner>(CONFAB_CHAOS_DEVICE_BINARY, dir_ / spec.id, spec));
    }
  }
  toxics_.assign(devices_.size(), {});
  blackholes_.assign(devices_.size(), 0);

  const milliseconds duration(options_.duration_s * 1000);
  auto plan = plan_faults(options_.seed, duration, device_count);
  struct Step {
    milliseconds at;
    bool begin;
    std::size_t fault;
  };
  std::vector<Step> steps;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    steps.push_back({plan[i].at, true, i});
    bool lasts = plan[i].kind != FaultKind::reset && plan[i].kind != FaultKind::lost_acks;
    if (lasts) steps.push_back({plan[i].at + plan[i].length, false, i});
  }
  std::stable_sort(steps.begin(), steps.end(), [](const Step& a, const Step& b) { return a.at < b.at; });
  std::printf("chaos: %zu faults planned\n", plan.size());

  start_ = Clock::now();
  send_until_unix_ms_ = std::chrono::duration_cast<milliseconds>(
                            (std::chrono::system_clock::now() + duration).time_since_epoch())
                            .count();
  for (std::size_t d = 0; d < devices_.size(); ++d) start_device(d);

  // The schedule runs against the clock: a driver pacing faults, not a test waiting.
  std::vector<bool> active(plan.size(), false);
  for (const auto& step : steps) {
    std::this_thread::sleep_until(start_ + step.at);
    const auto& fault = plan[step.fault];
    bool flag = active[step.fault];
    if (step.begin) log(describe(fault));
    apply(fault, step.begin, flag);
    active[step.fault] = flag;
  }
  std::this_thread::sleep_until(start_ + duration);
  log("faults stop; healing");

  bool answered = heal();
  std::size_t refused = 0;
  auto tried = attempts(refused);
  std::size_t returned = 0, tried_with_files = 0;
  for (const auto& a : tried) {
    returned += a.returned;
    tried_with_files += a.with_file;
  }
  std::size_t committed = 0, committed_with_files = 0;
  for (const auto& [id, messages] : server_state_.committed) {
    committed += messages.size();
    for (const auto& m : messages) committed_with_files += m.file.has_value();
  }
  std::size_t downloaded = 0;
  for (const auto& report : reports_) {
    for (const auto& d : report.downloads) downloaded += d.ok;
  }
  int runs = 0;
  for (const auto& d : devices_) runs += d->runs();
  log("healed" + std::string(answered ? "" : " (a device did not answer in time)"));

  Counts counts = check_history(tried, server_state_, reports_);
  for (auto& device : devices_) {
    int status = device->quit(std::chrono::seconds(10));
    if (status != 0) {
      counts.examples.push_back(device->spec().id + " exited with status " + std::to_string(status));
      answered = false;
    }
  }
  int server_status = server_->stop();
  if (server_status != 0) {
    counts.examples.push_back("the server exited with status " + std::to_string(server_status));
    answered = false;
  }

  std::printf("chaos: %zu sends tried (%zu with files), %zu returned, %zu refused; %zu messages committed, of which %zu "
              "with files (%zu downloaded and checked); %d device runs; %zu faults\n",
              tried.size(), tried_with_files, returned, refused, committed, committed_with_files, downloaded, runs,
              plan.size());
  std::printf("chaos: lost %zu, duplicated %zu, unexpected %zu, reordered %zu, divergent %zu, stuck %zu, corrupted %zu\n",
              counts.lost, counts.duplicated, counts.unexpected, counts.reordered, counts.divergent, counts.stuck,
              counts.corrupted);
  for (const auto& e : counts.examples) std::printf("  %s\n", e.c_str());
  bool pass = answered && refused == 0 && counts.clean() && returned > 0;
  std::printf("chaos: %s (seed %llu)\n", pass ? "PASS" : "FAIL", static_cast<unsigned long long>(options_.seed));
  return pass ? 0 : 1;
}

}  // namespace
}  // namespace confab::chaos

int main(int argc, char** argv) {
  confab::chaos::RunOptions options;
  CLI::App app{"Chaos run: many SDK devices under a seeded fault schedule, then a history check"};
  app.add_option("--seed", options.seed, "the fault schedule's and the devices' seed (printed)");
  app.add_option("--duration", options.duration_s, "seconds of traffic and faults")->check(CLI::Range(5, 86400));
  app.add_option("--messages", options.messages, "about this many messages in all (sets --interval-ms)")
      ->check(CLI::Range(1, 100'000'000));
  app.add_option("--interval-ms", options.interval_ms, "mean time between one device's sends")
      ->check(CLI::Range(1, 60'000));
  app.add_option("--users", options.users)->check(CLI::Range(2, 50));
  app.add_option("--devices", options.devices_per_user, "devices per user")->check(CLI::Range(1, 10));
  app.add_option("--files-every", options.files_every, "every Nth message of a device carries a file (0: none)")
      ->check(CLI::Range(0, 1'000'000));
  app.add_option("--heal-seconds", options.heal_s, "how long healing may take")->check(CLI::Range(5, 3600));
  app.add_option("--work-dir", options.work_dir, "keep the databases and logs here (emptied first)");
  CLI11_PARSE(app, argc, argv);
  try {
    return confab::chaos::Run(options).execute();
  } catch (const std::exception& e) {
    std::printf("chaos: FAIL: %s (seed %llu)\n", e.what(), static_cast<unsigned long long>(options.seed));
    return 2;
  }
}
