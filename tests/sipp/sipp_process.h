#pragma once
// Test support: SIPp (Debian sip-tester), a real SIP traffic generator, run
// as a child process, and the loopback sockets the tests talk to it over.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sipim::testing {

using Clock = std::chrono::steady_clock;

// The SIPp scenario files (tests/sipp/*.xml).
inline const std::string kSippScenarios = std::string(SIPIM_SOURCE_DIR) + "/tests/sipp/";

inline bool HaveSipp() { return std::system("command -v sipp > /dev/null 2>&1") == 0; }

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Binds fd to 127.0.0.1 on a port the kernel picks; the port, or 0 on failure.
inline int BindLoopback(int fd) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return 0;
  socklen_t len = sizeof a;
  return ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0 ? ntohs(a.sin_port) : 0;
}

// A UDP socket bound to 127.0.0.1 on a port the kernel picks.
class UdpSocket {
 public:
  UdpSocket() : fd_(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)), port_(BindLoopback(fd_)) {}
  ~UdpSocket() {
    if (fd_ >= 0) ::close(fd_);
  }
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  bool ok() const { return port_ != 0; }
  int port() const { return port_; }

  bool SendTo(std::string_view bytes, int port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    return ::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a) ==
           static_cast<ssize_t>(bytes.size());
  }
  // One datagram and the sender's port, or false after timeout_ms.
  bool Receive(int timeout_ms, std::string* bytes, int* from_port) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return false;
    char buf[65536];
    sockaddr_in a{};
    socklen_t len = sizeof a;
    const ssize_t n = ::recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&a), &len);
    if (n < 0) return false;
    bytes->assign(buf, static_cast<std::size_t>(n));
    *from_port = ntohs(a.sin_port);
    return true;
  }

 private:
  int fd_;
  int port_ = 0;
};

// A port free at the moment of asking, for SIPp's -p (SIPp cannot be told
// to pick one and report it).
inline int FreeUdpPort() {
  UdpSocket probe;
  return probe.port();
}

// SIPp run as a child process in its own scratch directory (its logs go
// there); stdout and stderr are kept for the failure message.
class Sipp {
 public:
  explicit Sipp(const std::vector<std::string>& args) {
    dir_ = ::testing::TempDir() + "/sipp-" + std::to_string(::getpid()) + "-" + std::to_string(++count_);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    std::filesystem::create_directories(dir_, ec);
    pid_ = ::fork();
    if (pid_ != 0) return;
    if (::chdir(dir_.c_str()) != 0) _exit(126);
    const int out = ::open("output.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int null = ::open("/dev/null", O_RDONLY);
    if (out < 0 || null < 0) _exit(126);
    ::dup2(null, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>("sipp"));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execvp("sipp", argv.data());
    _exit(127);
  }
  ~Sipp() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  Sipp(const Sipp&) = delete;
  Sipp& operator=(const Sipp&) = delete;

  bool started() const { return pid_ > 0; }
  // True once SIPp has exited; its exit status is then in status().
  bool Exited() {
    if (exited_) return true;
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
      exited_ = true;
      status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
    return exited_;
  }
  // Waits up to `limit` for SIPp to exit; -1 if it had not (it is killed).
  int Wait(std::chrono::milliseconds limit) {
    const auto end = Clock::now() + limit;
    while (!Exited() && Clock::now() < end) ::usleep(20000);
    return exited_ ? status_ : -1;
  }
  int status() const { return status_; }
  // What SIPp printed and logged, for a failure message.
  std::string Report() const {
    std::string r = ReadFile(dir_ + "/output.txt");
    const std::string errors = ReadFile(dir_ + "/errors.log");
    if (!errors.empty()) r += "\n-- errors.log --\n" + errors;
    return r.size() > 6000 ? r.substr(r.size() - 6000) : r;
  }

 private:
  static inline int count_ = 0;
  std::string dir_;
  pid_t pid_ = -1;
  bool exited_ = false;
  int status_ = -1;
};

// The arguments every run shares: SIPp's address and port, no keyboard, a
// bound on the whole run, and errors logged to errors.log where Report()
// finds them.
inline std::vector<std::string> SippArgs(const std::string& ip, int port, std::vector<std::string> more) {
  std::vector<std::string> args = {"-i", ip, "-p", std::to_string(port), "-nostdin",
                                   "-timeout", "20s", "-timeout_error", "-trace_err",
                                   "-error_file", "errors.log"};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}
// The same on loopback.
inline std::vector<std::string> SippArgs(int port, std::vector<std::string> more) {
  return SippArgs("127.0.0.1", port, std::move(more));
}

}  // namespace sipim::testing
