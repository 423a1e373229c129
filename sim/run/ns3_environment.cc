#include "ns3_environment.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "ns3/attribute.h"
#include "ns3/global-value.h"
#include "ns3/type-id.h"

namespace sipim::run {
namespace {

constexpr const char* kAttributeDefault = "NS_ATTRIBUTE_DEFAULT";
constexpr const char* kGlobalValue = "NS_GLOBAL_VALUE";

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::size_t cur = 0;
  while (true) {
    const std::size_t next = s.find(sep, cur);
    parts.push_back(s.substr(cur, next == std::string::npos ? std::string::npos : next - cur));
    if (next == std::string::npos) return parts;
    cur = next + 1;
  }
}

// True when `checker` reads `value`. ns-3's value types abort the process
// on text they cannot read instead of returning false, so the reading is
// tried in a throwaway child (its stderr closed: its abort message would
// read as the run's own failure).
bool Reads(const ns3::Ptr<const ns3::AttributeChecker>& checker, const std::string& value) {
  const pid_t pid = fork();
  if (pid < 0) return true;  // cannot tell: ns-3 will say when a point-run reads it
  if (pid == 0) {
    close(STDERR_FILENO);
    ns3::Ptr<ns3::AttributeValue> v = checker->Create();
    _exit(v->DeserializeFromString(value, checker) ? 0 : 1);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// The attribute `name` as declared by `tid` itself (not a parent), or null.
ns3::Ptr<const ns3::AttributeChecker> DeclaredChecker(const ns3::TypeId& tid, const std::string& name) {
  for (std::size_t i = 0; i < tid.GetAttributeN(); ++i) {
    if (tid.GetAttribute(i).name == name) return tid.GetAttribute(i).checker;
  }
  return nullptr;
}

// The checker of attribute "tid::name" as ns-3 matches it (declared by
// that TypeId), or null with *why saying what is wrong.
ns3::Ptr<const ns3::AttributeChecker> AttributeCheckerOf(const std::string& full_name, std::string* why) {
  const std::size_t sep = full_name.rfind("::");
  ns3::TypeId tid;
  if (sep == std::string::npos || sep == 0 || !ns3::TypeId::LookupByNameFailSafe(full_name.substr(0, sep), &tid)) {
    *why = "'" + full_name + "' names no ns-3 TypeId (the form is ns3::Class::Attribute)";
    return nullptr;
  }
  const std::string name = full_name.substr(sep + 2);
  if (auto checker = DeclaredChecker(tid, name)) return checker;
  *why = "'" + tid.GetName() + "' declares no attribute '" + name + "'";
  // ns-3 matches the declaring class's name only: say which one that is.
  for (ns3::TypeId t = tid; t.HasParent() && t.GetParent() != t;) {
    t = t.GetParent();
    if (DeclaredChecker(t, name)) {
      *why += " (it inherits it: write " + t.GetName() + "::" + name + ")";
      break;
    }
  }
  return nullptr;
}

ns3::Ptr<const ns3::AttributeChecker> GlobalCheckerOf(const std::string& name) {
  for (auto it = ns3::GlobalValue::Begin(); it != ns3::GlobalValue::End(); ++it) {
    if ((*it)->GetName() == name) return (*it)->GetChecker();
  }
  return nullptr;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> Ns3Environment() {
  std::vector<std::pair<std::string, std::string>> set;
  for (const char* name : {kAttributeDefault, kGlobalValue}) {
    if (const char* v = std::getenv(name)) set.emplace_back(name, v);
  }
  return set;
}

std::vector<std::string> CheckNs3Environment() {
  std::vector<std::string> errors;
  for (const auto& [var, text] : Ns3Environment()) {
    const bool attribute = var == kAttributeDefault;
    for (const std::string& entry : Split(text, ';')) {
      const std::string where = var + " entry '" + entry + "': ";
      const std::size_t eq = entry.find('=');
      if (eq == std::string::npos) {
        errors.push_back(where + "not name=value");
        continue;
      }
      const std::string name = entry.substr(0, eq), value = entry.substr(eq + 1);
      std::string why = "'" + name + "' is no ns-3 global value";
      const auto checker = attribute ? AttributeCheckerOf(name, &why) : GlobalCheckerOf(name);
      if (!checker) {
        errors.push_back(where + why);
      } else if (!Reads(checker, value)) {
        errors.push_back(where + "'" + value + "' is not a value of " + name + " (" + checker->GetValueTypeName() +
                         ")");
      }
    }
  }
  return errors;
}

}  // namespace sipim::run
