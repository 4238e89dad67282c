// LinuxNetworkMonitor: netlink (rtnetlink) link and route events.
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "confab/platform/network_monitor.h"

namespace confab::platform {
namespace {

int open_netlink(unsigned groups) {
  int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return -1;
  sockaddr_nl address{};
  address.nl_family = AF_NETLINK;
  address.nl_groups = groups;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Whether one RTM_NEWROUTE message (`length` bytes at `message`) is a usable default
// route. Read with memcpy: the buffer gives no alignment guarantee for the structs.
bool is_usable_default_route(const char* message, std::size_t length) {
  const std::size_t route_at = NLMSG_ALIGN(sizeof(nlmsghdr));
  if (length < route_at + sizeof(rtmsg)) return false;
  rtmsg route;
  std::memcpy(&route, message + route_at, sizeof route);
  if (route.rtm_dst_len != 0 || route.rtm_type != RTN_UNICAST) return false;
  if ((route.rtm_flags & (RTNH_F_LINKDOWN | RTNH_F_DEAD)) != 0) return false;
  if (route.rtm_table == RT_TABLE_MAIN) return true;
  // The table id may also come as an attribute (tables above 255).
  for (std::size_t at = route_at + NLMSG_ALIGN(sizeof(rtmsg)); at + sizeof(rtattr) <= length;) {
    rtattr attribute;
    std::memcpy(&attribute, message + at, sizeof attribute);
    if (attribute.rta_len < sizeof attribute || at + attribute.rta_len > length) break;
    if (attribute.rta_type == RTA_TABLE && attribute.rta_len >= sizeof attribute + sizeof(std::uint32_t)) {
      std::uint32_t table = 0;
      std::memcpy(&table, message + at + RTA_ALIGN(sizeof attribute), sizeof table);
      return table == RT_TABLE_MAIN;
    }
    at += RTA_ALIGN(attribute.rta_len);
  }
  return false;
}

}  // namespace

Result<std::unique_ptr<LinuxNetworkMonitor>> LinuxNetworkMonitor::open() {
  int events = open_netlink(RTMGRP_LINK | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE);
  if (events < 0) return Error::make(ErrorCode::transport, std::string("cannot open netlink: ") + std::strerror(errno));
  int wake = ::eventfd(0, EFD_CLOEXEC);
  if (wake < 0) {
    ::close(events);
    return Error::make(ErrorCode::transport, std::string("cannot create an eventfd: ") + std::strerror(errno));
  }
  std::unique_ptr<LinuxNetworkMonitor> monitor(new LinuxNetworkMonitor(events, wake));
  return monitor;
}

LinuxNetworkMonitor::LinuxNetworkMonitor(int events_fd, int wake_fd) : events_fd_(events_fd), wake_fd_(wake_fd) {
  available_ = read_default_route();
  publish(available_);
  thread_ = std::thread([this] { run(); });
}

LinuxNetworkMonitor::~LinuxNetworkMonitor() {
  std::uint64_t one = 1;
  static_cast<void>(::write(wake_fd_, &one, sizeof one));
  if (thread_.joinable()) thread_.join();
  ::close(events_fd_);
  ::close(wake_fd_);
}

bool LinuxNetworkMonitor::available() const {
  std::lock_guard lock(mutex_);
  return available_;
}

void LinuxNetworkMonitor::run() {
  std::array<char, 16 * 1024> buffer;
  for (;;) {
    std::array<pollfd, 2> fds{{{events_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}}};
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;  // the destructor
    // The event's content does not matter: any link or route change re-reads the table.
    // (ENOBUFS means events were dropped; re-reading covers that too.)
    while (::recv(events_fd_, buffer.data(), buffer.size(), MSG_DONTWAIT) > 0 || errno == ENOBUFS) {
    }
    bool now = read_default_route();
    {
      std::lock_guard lock(mutex_);
      available_ = now;
    }
    publish(now);
  }
}

bool LinuxNetworkMonitor::read_default_route() const {
  int fd = open_netlink(0);
  if (fd < 0) return false;
  struct {
    nlmsghdr header;
    rtmsg route;
  } request{};
  request.header.nlmsg_len = NLMSG_LENGTH(sizeof(rtmsg));
  request.header.nlmsg_type = RTM_GETROUTE;
  request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  request.header.nlmsg_seq = 1;
  request.route.rtm_family = AF_UNSPEC;
  bool found = false;
  if (::send(fd, &request, request.header.nlmsg_len, 0) >= 0) {
    std::array<char, 32 * 1024> buffer;
    bool done = false;
    while (!done) {
      ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
      if (n <= 0) break;
      const auto size = static_cast<std::size_t>(n);
      for (std::size_t at = 0; at + sizeof(nlmsghdr) <= size;) {
        nlmsghdr header;
        std::memcpy(&header, buffer.data() + at, sizeof header);
        if (header.nlmsg_len < sizeof header || at + header.nlmsg_len > size) break;
        if (header.nlmsg_type == NLMSG_DONE || header.nlmsg_type == NLMSG_ERROR) {
          done = true;
          break;
        }
        if (header.nlmsg_type == RTM_NEWROUTE && is_usable_default_route(buffer.data() + at, header.nlmsg_len)) {
          found = true;
        }
        at += NLMSG_ALIGN(header.nlmsg_len);
      }
    }
  }
  ::close(fd);
  return found;
}

}  // namespace confab::platform
