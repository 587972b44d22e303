// A timing cache, as TensorRT's (trtexec --timingCacheFile): the tactic each measured kernel
// problem chose on one kind of GPU, so that rebuilding an engine on the same card reuses the
// measurements instead of timing again. A text file, one problem per line:
//   <card and compute capability> \t <problem key> \t <tactic> \t <median ms of each tactic>
// Entries of other cards are kept but never used here. Written atomically.
#pragma once

#include <map>
#include <optional>
#include <string>

namespace gnnrt::builder {

struct TimingEntry {
  std::string tactic;
  std::string times;  // "warp_per_row=0.41 row_balanced=0.38 cusparse=0.90": for the log
};

class TimingCache {
 public:
  // Reads `path`; a missing file is an empty cache, a malformed one an InvalidInput error naming
  // the file and line.
  static TimingCache load(const std::string& path);
  void save(const std::string& path) const;

  std::optional<TimingEntry> find(const std::string& card, const std::string& key) const;
  void put(const std::string& card, const std::string& key, TimingEntry entry);
  size_t size() const { return entries_.size(); }
  bool changed() const { return changed_; }

 private:
  std::map<std::pair<std::string, std::string>, TimingEntry> entries_;
  bool changed_ = false;
};

}  // namespace gnnrt::builder
