#!/usr/bin/env bash
# The demo: the 2-layer GCN trained on Cora by python/export_pyg.py, exported by torch.onnx, run
# by gnnrt on the real Cora graph; its test accuracy is printed beside the one PyG measured.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build}
gnnrt="$build_dir/gnnrt"
case_dir=tests/fixtures/gcn_cora
out_dir=$(mktemp -d)
trap 'rm -rf "$out_dir"' EXIT

echo "== gnnrt run: 2-layer GCN (1433 -> 16 -> 7) on Cora, 2,708 nodes, 10,556 edges"
"$gnnrt" run --onnx "$case_dir/torchscript/model.onnx" --inputs "$case_dir/g0.inputs.npz" \
  --output "$out_dir/out.npz" --compare "$case_dir/g0.expected.npz" --device cpu
gnnrt_accuracy=$("$gnnrt" accuracy --predictions "$out_dir/out.npz" --labels "$case_dir/labels.npz" --mask test_mask)
pyg_accuracy=$(sed -n 's/.*"pyg_test_accuracy": *\([0-9.]*\).*/\1/p' "$case_dir/meta.json")
echo "== Cora test accuracy: gnnrt ${gnnrt_accuracy#*: }   PyG $(awk -v a="$pyg_accuracy" 'BEGIN{printf "%.2f %%", (a <= 1 ? a * 100 : a)}')"

echo "== the same model with --fp16 (node features stored in float16, fp32 accumulation), against fp32"
"$gnnrt" run --onnx "$case_dir/torchscript/model.onnx" --inputs "$case_dir/g0.inputs.npz" \
  --output "$out_dir/out16.npz" --device cpu --fp16 >/dev/null
"$gnnrt" accuracy --predictions "$out_dir/out16.npz" --labels "$case_dir/labels.npz" --mask test_mask \
  --reference "$out_dir/out.npz"
