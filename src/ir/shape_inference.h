// Shape and dtype inference over the IR, with symbolic dims.
//
// Symbolic dims flow through ops (x: [num_nodes, 1433] -> MatMul -> [num_nodes, 16]); sizes are
// added and multiplied symbolically (see ir/symbolic_dims.h: Concat of [2, num_edges] and
// [2, num_nodes] on axis 1 is [2, num_edges + num_nodes]). Sizes that depend on data get a fresh
// symbol named after the node (NonZero: [2, nonzero_<node>]; Range: [range_<node>]).
//
// PyG exports compute shapes at run time (Shape -> Gather -> Unsqueeze -> Concat ->
// ConstantOfShape), so small int tensors whose elements are known symbolically ("shape values")
// are tracked too: the zeros tensor of a scatter-add gets [num_nodes, 16], not [?, ?].
//
// Rules worth knowing:
// - Broadcasting a symbol with 1 gives the symbol; a symbol with a known size k != 1 gives k (the
//   only valid outcome); two different symbols, or anything but a known k != 1 with an unknown
//   dim, give an unknown dim: shape inference never guesses.
// - Slice of a symbolic dim with constant bounds assumes the dim is at least as large as the
//   bounds ([num_nodes][1:] is num_nodes - 1), as the exporters' own shape inference does.
// - An op it does not know (or a gnnrt fused op) leaves its outputs unknown; that is not an error.
// - Types the graph already declares (graph outputs, value_types from the importer) are hints:
//   they fill in only what inference cannot tell. Where they disagree with inference, inference
//   wins without an error: the exporters' own shape inference is sometimes wrong (TorchScript
//   types an If's outputs after the branch that never runs).
// - An If whose condition is known from shapes alone (Equal(Size(Shape(x)), 0)) takes the types
//   of the branch that runs; otherwise the branches' types are merged where they agree.
#pragma once

#include <cstddef>

#include "ir/graph.h"

namespace gnnrt::ir {

struct ShapeInferenceReport {
  size_t inferred = 0;  // node outputs (If branches included) with a known dtype and rank
  size_t unknown = 0;   // node outputs whose dtype or rank stays unknown
};

// Fills graph.value_types for every node output that something is known about (recursively for
// If branches), and sets the types of graph.outputs produced by nodes. Throws InvalidInput only on a provable
// contradiction, naming the node and both shapes (MatMul inner dims 1433 vs 1432, Concat of
// ranks 2 and 3, an axis out of range).
ShapeInferenceReport infer_shapes(Graph& graph);

}  // namespace gnnrt::ir
