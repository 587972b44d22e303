// The pass manager: runs IR optimisation passes in order, as ONNX Runtime's graph transformer
// manager and XNNPACK's subgraph optimiser do.
//
// A pass matches, checks legality, then rewrites; a failed precondition leaves the graph unchanged
// and is not an error. Every pass can be turned off by name (`--disable-pass NAME`), says what it
// did under `--verbose` ("[pass] constant_folding: folded 42 nodes"), and is followed by the IR
// verifier: a graph a pass leaves invalid is a gnnrt bug (Internal error naming the pass). With
// GNNRT_DUMP_IR=1 in the environment (or PassManagerOptions::dump_ir) the IR is printed after
// every pass that changed it.
//
// The passes run in rounds until a round changes nothing, because they feed each other: shape
// simplification turns Shape(x) into constants, constant folding then folds the arithmetic on
// them, which may make an If condition constant and expose more Shape nodes.
//
// Callers run ir::infer_shapes before the passes (they read inferred types); the manager re-runs
// it after every pass that changed the graph, so later passes see fresh types.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace gnnrt::passes {

// What every pass is handed besides the graph.
struct PassContext {
  std::ostream* log = nullptr;  // verbose log; nullptr for silence
  // Constant folding leaves outputs larger than this to run time (the engine file would grow).
  int64_t max_folded_elements = int64_t{1} << 20;

  // Writes "[pass] <pass>: <text>" to the log, if any.
  void note(const std::string& pass, const std::string& text) const;
};

// What one run of a pass changed.
struct PassResult {
  size_t changes = 0;   // rewrites made; 0 means the graph was left untouched
  std::string summary;  // "folded 42 nodes", for the log
};

class Pass {
 public:
  virtual ~Pass() = default;
  // The name users give to --disable-pass ("constant_folding").
  virtual std::string name() const = 0;
  virtual PassResult run(ir::Graph& graph, PassContext& context) = 0;
};

struct PassManagerOptions {
  std::vector<std::string> disabled_passes;  // names; an unknown name is an InvalidInput error
  std::ostream* log = nullptr;               // verbose log; nullptr for silence
  bool dump_ir = false;                      // print the IR after each pass that changed it
  std::ostream* dump_stream = nullptr;       // where dumps go: default the log, else std::cerr
  size_t max_rounds = 8;                     // the passes converge in 2-3 rounds on PyG exports
  int64_t max_folded_elements = int64_t{1} << 20;
};

struct PassRecord {
  size_t round = 0;  // 1-based
  std::string pass;
  size_t changes = 0;
  std::string summary;
};

struct PassReport {
  size_t nodes_before = 0;  // counted with If branches (count_nodes)
  size_t nodes_after = 0;
  size_t rounds = 0;
  std::vector<PassRecord> records;           // every pass run that changed something
  std::vector<std::string> applied_passes;   // names of passes that changed something, first-change order
};

class PassManager {
 public:
  // Fails (InvalidInput) when options.disabled_passes names a pass that is not in `passes`,
  // listing the known ones.
  PassManager(std::vector<std::unique_ptr<Pass>> passes, PassManagerOptions options);

  std::vector<std::string> pass_names() const;
  // Runs the enabled passes in rounds until nothing changes (or max_rounds).
  PassReport run(ir::Graph& graph);

 private:
  std::vector<std::unique_ptr<Pass>> passes_;
  PassManagerOptions options_;
};

// gnnrt's pipeline, in order: constant_folding, shape_simplification, dead_code_elimination,
// spmm_lifting, gcn_normalization_folding, aggregation_reordering, spmm_epilogue_fusion,
// linear_fusion.
std::vector<std::unique_ptr<Pass>> standard_passes();
std::vector<std::string> standard_pass_names();

// Runs the standard pipeline on a graph whose shapes were inferred.
PassReport optimize_graph(ir::Graph& graph, const PassManagerOptions& options);

// One line for the log: "117 -> 80 nodes in 3 rounds (constant_folding, ...)".
std::string describe_report(const PassReport& report);

// ---------------------------------------------------------------------------------------------
// Graph-editing helpers shared by the passes.

// Nodes of the graph, those inside If branches included (as `gnnrt inspect` counts them).
size_t count_nodes(const ir::Graph& graph);

using ir::collect_reads;

// Every value name defined anywhere in the graph: inputs, initializers, node outputs, and the same
// inside subgraphs.
void collect_defined_names(const ir::Graph& graph, std::set<std::string>& names);

// Makes every reader of `from` read `to` instead: node inputs of `graph`, and node inputs and
// outputs of its subgraphs (which read enclosing values by name). `graph`'s own outputs are left
// alone: passes never rewire a graph output.
void replace_uses(ir::Graph& graph, const std::string& from, const std::string& to);

bool is_graph_output(const ir::Graph& graph, const std::string& value);
// Gives every If branch of the graph (recursively) its own copy: copies of an ir::Graph share
// their subgraphs (Attribute::g is a shared_ptr), and a pass must not edit the branch of a graph it
// was not given. The pass manager calls it before the first pass.
void detach_subgraphs(ir::Graph& graph);
bool has_subgraph(const ir::Node& node);

// The type of a value seen from a graph nested in others; `scope` lists the graph itself first,
// then the graphs enclosing it, outermost last.
std::optional<ir::ValueType> type_in_scope(const std::vector<const ir::Graph*>& scope, const std::string& value);

// Element count of a type whose shape is fully known; nullopt when a dim is unknown or symbolic,
// or the count overflows.
std::optional<int64_t> static_element_count(const ir::ValueType& type);

}  // namespace gnnrt::passes
