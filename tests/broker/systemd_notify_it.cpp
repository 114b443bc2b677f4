// `jit-broker serve` under systemd's Type=notify protocol (broker/systemd_notify.hpp): a unix
// datagram socket stands in for systemd's NOTIFY_SOCKET. READY=1 must come only once the port
// answers, WATCHDOG=1 pings at half of WATCHDOG_USEC while the loop runs (and none when
// WATCHDOG_PID names another process, as sd_watchdog_enabled(3) says), STOPPING=1 on SIGTERM.
#include "broker/client/http_client.hpp"
#include "tests/support/broker_process.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace jit::broker {
namespace {

using jit::testing::BrokerProcess;
using namespace std::chrono_literals;

// The receiving end of NOTIFY_SOCKET: a bound unix datagram socket, one state string a datagram.
class NotifyListener {
 public:
  explicit NotifyListener(const std::filesystem::path& path) : path_(path.string()) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path_.size() >= sizeof(address.sun_path)) throw std::runtime_error("path too long");
    std::memcpy(address.sun_path, path_.c_str(), path_.size() + 1);
    if (::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
      throw std::runtime_error("bind: " + std::string(std::strerror(errno)));
    }
  }
  ~NotifyListener() { ::close(fd_); }
  NotifyListener(const NotifyListener&) = delete;
  NotifyListener& operator=(const NotifyListener&) = delete;

  const std::string& path() const { return path_; }

  // The next datagram, or "" when none came within `limit`.
  std::string next(std::chrono::milliseconds limit) {
    pollfd waiting{fd_, POLLIN, 0};
    if (::poll(&waiting, 1, static_cast<int>(limit.count())) != 1) return {};
    char buffer[4096];
    const auto size = ::recv(fd_, buffer, sizeof(buffer), 0);
    return size > 0 ? std::string(buffer, static_cast<std::size_t>(size)) : std::string();
  }

  // Datagrams until one contains `state` (returned last); empty when it did not come in `limit`.
  std::vector<std::string> until(const std::string& state, std::chrono::milliseconds limit) {
    std::vector<std::string> seen;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      auto message = next(std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now()));
      if (message.empty()) continue;
      seen.push_back(std::move(message));
      if (seen.back().find(state) != std::string::npos) return seen;
    }
    return {};
  }

  // How many datagrams holding `state` came within `window`.
  int count(const std::string& state, std::chrono::milliseconds window) {
    int found = 0;
    const auto deadline = std::chrono::steady_clock::now() + window;
    while (std::chrono::steady_clock::now() < deadline) {
      const auto message = next(std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now()));
      if (message.find(state) != std::string::npos) ++found;
    }
    return found;
  }

 private:
  std::string path_;
  int fd_ = -1;
};

class SystemdNotifyTest : public ::testing::Test {
 protected:
  SystemdNotifyTest() : listener_(broker_.dir() / "notify.sock") {}

  // GET /healthz once, no retry: the status, or 0 when the connection failed.
  unsigned healthz_status() {
    ClientRequest request;
    request.url = *parse_url("https://localhost:" + std::to_string(broker_.port()) + "/healthz");
    auto answer = fetch({broker_.ca_file()}, request);
    return answer ? answer->status : 0u;
  }

  BrokerProcess broker_;
  NotifyListener listener_;
};

TEST_F(SystemdNotifyTest, ReadyOnlyOnceThePortAnswersThenWatchdogPingsThenStopping) {
  broker_.launch({"NOTIFY_SOCKET=" + listener_.path(), "WATCHDOG_USEC=400000"});
  const auto before_ready = listener_.until("READY=1", 30s);
  ASSERT_FALSE(before_ready.empty()) << "no READY=1; broker stderr: " << broker_.process().err();
  // Nothing but pings before READY=1, and READY=1 names the address served.
  for (std::size_t i = 0; i + 1 < before_ready.size(); ++i) {
    EXPECT_EQ(before_ready[i], "WATCHDOG=1");
  }
  EXPECT_NE(before_ready.back().find("STATUS=serving on 127.0.0.1:"), std::string::npos)
      << before_ready.back();
  // The port already answers when READY=1 arrives: the listening line is out, and the first
  // request, without retrying, gets 200.
  ASSERT_TRUE(broker_.wait_listening(1s)) << broker_.process().out();
  EXPECT_EQ(healthz_status(), 200u);

  // Every 200 ms (half of 400 ms): at least 4 in 1.2 s while the loop runs.
  EXPECT_GE(listener_.count("WATCHDOG=1", 1200ms), 4);

  // SIGTERM: STOPPING=1 was sent by the time the broker has exited.
  EXPECT_EQ(broker_.stop(), 0);
  EXPECT_FALSE(listener_.until("STOPPING=1", 1s).empty());
}

TEST_F(SystemdNotifyTest, NoWatchdogPingsWhenWatchdogPidNamesAnotherProcess) {
  // systemd sets WATCHDOG_PID to the service's main pid; a process it does not name must not ping
  // (pid 1 is never the broker).
  broker_.launch({"NOTIFY_SOCKET=" + listener_.path(), "WATCHDOG_USEC=200000", "WATCHDOG_PID=1"});
  const auto until_ready = listener_.until("READY=1", 30s);
  ASSERT_FALSE(until_ready.empty()) << broker_.process().err();
  EXPECT_EQ(until_ready.size(), 1u) << until_ready.front();
  // Two watchdog intervals without a ping.
  EXPECT_EQ(listener_.count("WATCHDOG=1", 400ms), 0);
  EXPECT_EQ(broker_.stop(), 0);
}

}  // namespace
}  // namespace jit::broker
