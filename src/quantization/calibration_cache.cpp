#include "quantization/calibration_cache.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <locale>
#include <sstream>

#include "gnnrt/error.h"
#include "io/atomic_file.h"

namespace gnnrt::quantization {
namespace {

constexpr const char* kMagic = "gnnrt-int8-calibration";
constexpr int kVersion = 1;

bool valid_calibrator(const std::string& name) {
  if (name == "entropy" || name == "minmax") return true;
  const std::string prefix = "percentile:";
  if (name.rfind(prefix, 0) != 0 || name.size() == prefix.size()) return false;
  char* end = nullptr;
  const double p = std::strtod(name.c_str() + prefix.size(), &end);
  return *end == '\0' && p > 0 && p <= 100;
}

}  // namespace

void write_calibration_cache(const std::string& path, const CalibrationTable& table) {
  GNNRT_CHECK(valid_calibrator(table.calibrator), "calibration cache with calibrator '", table.calibrator, "'");
  for (const auto& [name, scale] : table.scales) {
    GNNRT_CHECK(std::isfinite(scale) && scale > 0, "calibration scale ", scale, " of ", name);
    GNNRT_CHECK(!name.empty() && name.find('\n') == std::string::npos, "calibrated tensor name '", name, "'");
  }
  io::write_file_atomically(path, [&](std::ostream& out) {
    out.imbue(std::locale::classic());
    out << kMagic << " " << kVersion << " " << table.calibrator << "\n";
    out << "# gnnrt INT8 calibration cache: tensor: scale (amax / 127), one quantised tensor per line\n";
    out << std::setprecision(9);
    for (const auto& [name, scale] : table.scales) out << name << ": " << scale << "\n";
  });
}

CalibrationTable read_calibration_cache(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail_input("calibration cache '", path, "': cannot open it (no such file, or no permission)");
  CalibrationTable table;
  std::string line;
  size_t number = 0;
  bool header_seen = false;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::string where = cat("calibration cache '", path, "' line ", number, ": ");
    if (!header_seen) {
      std::istringstream words(line);
      std::string magic, version, calibrator, extra;
      words >> magic >> version >> calibrator;
      if (magic != kMagic)
        fail_input(where, "expected the header \"", kMagic, " ", kVersion,
                   " <calibrator>\", got \"", line.substr(0, 80), "\" (not a gnnrt calibration cache?)");
      if (version != std::to_string(kVersion))
        fail_input(where, "format version '", version, "', this gnnrt reads version ", kVersion,
                   ": delete the cache and calibrate again with --calib-data");
      if (!valid_calibrator(calibrator) || (words >> extra))
        fail_input(where, "calibrator '", calibrator, "' is not entropy, minmax or percentile:<p> with p in (0, 100]");
      table.calibrator = calibrator;
      header_seen = true;
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    const size_t colon = line.rfind(": ");
    if (colon == std::string::npos || colon == 0)
      fail_input(where, "expected \"tensor: scale\", got \"", line.substr(0, 120), "\"");
    const std::string name = line.substr(0, colon), text = line.substr(colon + 2);
    char* end = nullptr;
    errno = 0;
    const float scale = std::strtof(text.c_str(), &end);
    if (text.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(scale) || scale <= 0)
      fail_input(where, "the scale of '", name, "' must be a positive finite number, got \"", text, "\"");
    if (!table.scales.emplace(name, scale).second) fail_input(where, "tensor '", name, "' is named twice");
  }
  if (!header_seen) fail_input("calibration cache '", path, "': the file is empty (expected the header \"", kMagic,
                               " ", kVersion, " <calibrator>\")");
  return table;
}

}  // namespace gnnrt::quantization
