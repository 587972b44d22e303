#include "builder/timing_cache.h"

#include <fstream>
#include <sstream>

#include "gnnrt/error.h"
#include "io/atomic_file.h"

namespace gnnrt::builder {

TimingCache TimingCache::load(const std::string& path) {
  TimingCache cache;
  std::ifstream file(path);
  if (!file) return cache;
  std::string line;
  for (size_t number = 1; std::getline(file, line); ++number) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> fields;
    std::stringstream parts(line);
    for (std::string field; std::getline(parts, field, '\t');) fields.push_back(field);
    if (fields.size() != 4 || fields[0].empty() || fields[1].empty() || fields[2].empty())
      fail_input("timing cache ", path, " line ", number,
                 ": expected 4 tab-separated fields (card, problem, tactic, times), got ", fields.size(),
                 "; delete the file to start a new cache");
    cache.entries_[{fields[0], fields[1]}] = TimingEntry{fields[2], fields[3]};
  }
  return cache;
}

void TimingCache::save(const std::string& path) const {
  std::string text = "# gnnrt timing cache: card\tproblem\ttactic\tmedian ms per tactic\n";
  for (const auto& [key, entry] : entries_)
    text += key.first + "\t" + key.second + "\t" + entry.tactic + "\t" + entry.times + "\n";
  io::write_file_atomically(path, text.data(), text.size());
}

std::optional<TimingEntry> TimingCache::find(const std::string& card, const std::string& key) const {
  auto it = entries_.find({card, key});
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

void TimingCache::put(const std::string& card, const std::string& key, TimingEntry entry) {
  entries_[{card, key}] = std::move(entry);
  changed_ = true;
}

}  // namespace gnnrt::builder
