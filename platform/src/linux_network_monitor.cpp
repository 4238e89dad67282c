// LinuxNetworkMonitor: netlink (rtnetlink) link and route events.
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
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

// Whether one RTM_NEWROUTE message is a usable default route.
bool is_usable_default_route(const nlmsghdr* header) {
  const auto* route = reinterpret_cast<const rtmsg*>(reinterpret_cast<const char*>(header) + NLMSG_ALIGN(sizeof(nlmsghdr)));
  if (route->rtm_dst_len != 0 || route->rtm_type != RTN_UNICAST) return false;
  if (route->rtm_table != RT_TABLE_MAIN) {
    // The table id may also come as an attribute (tables above 255).
    bool main = false;
    int length = static_cast<int>(RTM_PAYLOAD(header));
    const auto* first = reinterpret_cast<const rtattr*>(reinterpret_cast<const char*>(route) + NLMSG_ALIGN(sizeof(rtmsg)));
    for (const rtattr* a = first; RTA_OK(a, length); a = RTA_NEXT(a, length)) {
      if (a->rta_type == RTA_TABLE) main = *static_cast<const unsigned*>(RTA_DATA(a)) == RT_TABLE_MAIN;
    }
    if (!main) return false;
  }
  return (route->rtm_flags & (RTNH_F_LINKDOWN | RTNH_F_DEAD)) == 0;
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
      int length = static_cast<int>(n);
      for (auto* h = reinterpret_cast<nlmsghdr*>(buffer.data()); NLMSG_OK(h, length); h = NLMSG_NEXT(h, length)) {
        if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
          done = true;
          break;
        }
        if (h->nlmsg_type == RTM_NEWROUTE && is_usable_default_route(h)) found = true;
      }
    }
  }
  ::close(fd);
  return found;
}

}  // namespace confab::platform
