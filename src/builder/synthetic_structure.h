// The sparse structures the builder times SpMM tactics on (builder/tactic_selection.h), built on
// the host from a fixed seed. Which tactic wins depends on the row lengths and on where the
// columns fall, so the structure follows the kind of graph the engine will serve:
//  - one large graph (node-level models): power-law row lengths and column counts, as the in- and
//    out-degrees of real graphs;
//  - a union of many small graphs (graph-level models, which take a batch vector): short rows of
//    nearly equal length, whose columns stay inside their own graph, as a batch of molecules.
#pragma once

#include <cstdint>
#include <vector>

namespace gnnrt::builder {

struct SyntheticCsr {
  std::vector<int32_t> row_ptr;  // rows + 1 offsets
  std::vector<int32_t> col;      // `edges` column ids
};

// rows x cols with `edges` entries and power-law row lengths (the busiest row holds about
// edges / sqrt(rows)) and column counts.
SyntheticCsr power_law_csr(int64_t rows, int64_t cols, int64_t edges);

// rows x cols with `edges` entries, as `graphs` small graphs side by side: row r belongs to graph
// g = r * graphs / rows, and its columns are drawn from that graph's block of columns,
// [g * cols / graphs, (g + 1) * cols / graphs). Row lengths differ by at most one. With rows ==
// cols it is a batch's adjacency; with rows == graphs, a pooling of each graph's nodes.
SyntheticCsr small_graphs_csr(int64_t rows, int64_t cols, int64_t edges, int64_t graphs);

}  // namespace gnnrt::builder
