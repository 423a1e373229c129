#pragma once
// Reads a whole file or stream into memory without exceptions: the commands
// name the file and the reason when it cannot be read, whatever the path
// names (a directory, a FIFO that fails, a file without permission).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>

namespace sipim {

// Reads fd to its end. Empty on success (the bytes are in *out), otherwise
// why it could not be read. More than max_bytes is refused: a FIFO fed by
// `yes`, stdin from an endless pipe or a device like /dev/zero never ends,
// and reading it whole would run the machine out of memory.
inline std::string ReadWholeFd(int fd, std::size_t max_bytes, std::string* out) {
  out->clear();
  struct stat st {};
  if (::fstat(fd, &st) != 0) return std::strerror(errno);
  if (S_ISDIR(st.st_mode)) return "is a directory";
  if (S_ISREG(st.st_mode) && static_cast<std::size_t>(st.st_size) <= max_bytes) {
    out->reserve(static_cast<std::size_t>(st.st_size));
  }
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n == 0) return {};
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      out->clear();
      return std::strerror(err);
    }
    if (static_cast<std::size_t>(n) > max_bytes - out->size()) {
      out->clear();
      return "larger than " + std::to_string(max_bytes) + " bytes";
    }
    out->append(buf, static_cast<std::size_t>(n));
  }
}

// ReadWholeFd on the file at path.
inline std::string ReadWholeFile(const std::string& path, std::size_t max_bytes, std::string* out) {
  out->clear();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::strerror(errno);
  std::string why = ReadWholeFd(fd, max_bytes, out);
  ::close(fd);
  return why;
}

}  // namespace sipim
