// The builder's timing cache (builder/timing_cache.h): entries survive a save and load, belong to
// one card, a missing file is an empty cache and a malformed one a clear error naming the line.
#include <gtest/gtest.h>

#include "builder/timing_cache.h"
#include "test_support.h"

namespace gnnrt {
namespace {

TEST(TimingCache, EntriesSurviveSaveAndLoadAndBelongToOneCard) {
  testing::TempDir dir;
  const std::string path = (dir / "timing.cache").string();
  builder::TimingCache empty = builder::TimingCache::load(path);  // missing: empty
  EXPECT_EQ(empty.size(), 0u);
  EXPECT_FALSE(empty.changed());

  builder::TimingCache cache;
  cache.put("NVIDIA H100 80GB HBM3 sm_90", "SpMM float32 N=10 M=10 E=40 F=16", {"row_balanced", "row_balanced=0.1"});
  cache.put("NVIDIA H100 80GB HBM3 sm_90", "SpMM float16 N=10 M=10 E=40 F=16", {"warp_per_row", "warp_per_row=0.05"});
  EXPECT_TRUE(cache.changed());
  cache.save(path);

  const builder::TimingCache loaded = builder::TimingCache::load(path);
  EXPECT_EQ(loaded.size(), 2u);
  const auto hit = loaded.find("NVIDIA H100 80GB HBM3 sm_90", "SpMM float32 N=10 M=10 E=40 F=16");
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->tactic, "row_balanced");
  EXPECT_EQ(hit->times, "row_balanced=0.1");
  EXPECT_FALSE(loaded.find("NVIDIA H200 sm_90", "SpMM float32 N=10 M=10 E=40 F=16").has_value());
  EXPECT_FALSE(loaded.find("NVIDIA H100 80GB HBM3 sm_90", "SpMM float32 N=11 M=10 E=40 F=16").has_value());
}

TEST(TimingCache, AMalformedFileIsAnErrorNamingTheLine) {
  testing::TempDir dir;
  const std::string path = (dir / "bad.cache").string();
  testing::write_file(path, "# header\ncard\tproblem\ttactic\ttimes\nonly two\tfields\n");
  testing::expect_error(ErrorCode::InvalidInput, [&] { builder::TimingCache::load(path); },
                        {path, "line 3", "4 tab-separated fields"});
}

}  // namespace
}  // namespace gnnrt
