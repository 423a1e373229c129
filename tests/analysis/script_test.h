#pragma once
// A fixture for tests that run an analysis script end to end: the real
// script under /usr/bin/python3 (skipped where it is missing), its input
// files written into a fresh temporary directory, its exit status, stdout
// and stderr captured.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

extern char** environ;

namespace sipim_test {

namespace fs = std::filesystem;

const std::string kPython = "/usr/bin/python3";
const std::string kAnalysis = std::string(SIPIM_SOURCE_DIR) + "/analysis";

struct Result {
  int exit_code = -1;  // -1 when the process did not exit normally
  std::string out;
  std::string err;
};

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The line of `text` that starts with `prefix` ("" when none does).
inline std::string LineStarting(const std::string& text, const std::string& prefix) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(prefix, 0) == 0) return line;
  return "";
}

class ScriptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kPython.c_str(), X_OK) != 0) GTEST_SKIP() << kPython << " is missing: the analysis scripts need it";
    std::string pattern = ::testing::TempDir() + "sipim_script_XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr) << "cannot create a temporary directory under " << pattern;
    dir_ = pattern + "/";
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  // Writes `text` to a file named `name` in this test's directory.
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  // Runs /usr/bin/python3 -B ARGS (-B: no __pycache__ in the source tree).
  Result Python(const std::vector<std::string>& args) {
    const std::string out = dir_ + "stdout", err = dir_ + "stderr";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<std::string> all = {kPython, "-B"};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    Result r;
    const int spawned = posix_spawn(&pid, kPython.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) {
      r.err = "posix_spawn failed";
      return r;
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
    r.out = ReadAll(out);
    r.err = ReadAll(err);
    return r;
  }

  std::string dir_;
};

inline std::string Report(const Result& r) {
  return "exit " + std::to_string(r.exit_code) + "\nstdout:\n" + r.out + "stderr:\n" + r.err;
}

}  // namespace sipim_test
