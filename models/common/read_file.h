#pragma once
// Reads a whole regular file into memory without exceptions: the commands
// name the file and the reason when it cannot be read, whatever the path
// names (a directory, a FIFO that fails, a file without permission).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace sipim {

// Empty on success (the bytes are in *out), otherwise why the file could
// not be read.
inline std::string ReadWholeFile(const std::string& path, std::string* out) {
  out->clear();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::strerror(errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return std::strerror(err);
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return "is a directory";
  }
  if (S_ISREG(st.st_mode)) out->reserve(static_cast<std::size_t>(st.st_size));
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      out->clear();
      return std::strerror(err);
    }
    out->append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return {};
}

}  // namespace sipim
