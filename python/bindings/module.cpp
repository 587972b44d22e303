// The extension module gnnrt._gnnrt: gnnrt's public C++ API (gnnrt/runtime.h,
// gnnrt/onnx_support.h) as it is, with arrays passed through DLPack and errors turned into Python
// exceptions. The package around it (python/gnnrt/) adds the numpy/torch conveniences; nothing
// here is a second implementation of anything the library does.
#include <nanobind/nanobind.h>
#include <nanobind/stl/shared_ptr.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/unique_ptr.h>
#include <nanobind/stl/vector.h>

#include <cstdint>
#include <map>
#include <string>

#include "dlpack_tensors.h"
#include "error_translation.h"
#include "gnnrt/onnx_support.h"
#include "gnnrt/runtime.h"

namespace nb = nanobind;
using namespace nb::literals;

namespace gnnrt::python {
namespace {

// Inputs by name as views of the caller's arrays; `where` starts error messages ("" for a call's
// inputs, "calibration graph 2, " for a calibration graph's).
std::map<std::string, Tensor> tensors_from_dict(const nb::dict& arrays, const std::string& where) {
  std::map<std::string, Tensor> tensors;
  for (auto [key, value] : arrays) {
    const std::string name = nb::cast<std::string>(key);
    InputArray array;
    if (!nb::try_cast(value, array))
      fail_input(where, "input '", name, "': expected a numpy array or a torch tensor (an object with __dlpack__), "
                 "got ", nb::cast<std::string>(nb::type_name(value.type())));
    tensors.emplace(name, tensor_from_array(array, name));
  }
  return tensors;
}

// The INT8 calibration graphs (host arrays; the caller keeps them alive through the build) are
// read with the GIL held; the build runs without it.
std::shared_ptr<Engine> build_engine(const std::string& onnx_path, const std::string& device,
                                     const std::string& precision, const std::string& min_shapes,
                                     const std::string& opt_shapes, const std::string& max_shapes, int64_t max_nodes,
                                     int64_t max_edges, int64_t max_graphs, int64_t opt_nodes, int64_t opt_edges,
                                     int64_t opt_graphs, const nb::list& calibration_graphs,
                                     const std::string& calibration_cache, const std::string& calibrator,
                                     const std::vector<std::string>& layer_precisions, bool int8_per_row) {
  BuildConfig config;
  for (size_t g = 0; g < calibration_graphs.size(); ++g) {
    nb::dict graph;
    if (!nb::try_cast(calibration_graphs[g], graph))
      fail_input("calibration graph ", g, ": expected a dict of input name -> array");
    std::map<std::string, Tensor> tensors = tensors_from_dict(graph, cat("calibration graph ", g, ", "));
    for (const auto& [name, tensor] : tensors)
      if (!tensor.on_host()) fail_input("calibration graph ", g, " input '", name, "': calibration runs on the CPU; "
                                        "pass host arrays (tensor.cpu())");
    config.calibration_graphs.push_back(std::move(tensors));
  }
  config.calibration_cache = calibration_cache;
  config.calibrator = calibrator;
  config.layer_precisions = layer_precisions;
  config.int8_per_row = int8_per_row;
  config.device = device;
  config.precision = precision;
  config.min_shapes = min_shapes;
  config.opt_shapes = opt_shapes;
  config.max_shapes = max_shapes;
  config.max_nodes = max_nodes;
  config.max_edges = max_edges;
  config.max_graphs = max_graphs;
  config.opt_nodes = opt_nodes;
  config.opt_edges = opt_edges;
  config.opt_graphs = opt_graphs;
  nb::gil_scoped_release unlocked;
  return Engine::build_from_onnx(onnx_path, config);
}

// Inputs by name as views of the caller's arrays; the call runs without the GIL; outputs come
// back as `framework` arrays over the engine's own output storage.
nb::dict run_context(ExecutionContext& context, const nb::dict& inputs, int framework, int cuda_device) {
  const std::map<std::string, Tensor> tensors = tensors_from_dict(inputs, "");
  std::map<std::string, Tensor> outputs;
  {
    nb::gil_scoped_release unlocked;
    outputs = context.run(tensors);
  }
  nb::dict result;
  for (const auto& [name, tensor] : outputs)
    result[name.c_str()] = array_from_tensor(tensor, static_cast<Framework>(framework), cuda_device);
  return result;
}

// What gnnrt sees of an array passed as an input (for tests that show no copy is made).
nb::dict describe_view(const InputArray& array) {
  const Tensor tensor = tensor_from_array(array, "array");
  nb::dict view;
  view["address"] = reinterpret_cast<uintptr_t>(tensor.raw());
  view["dtype"] = std::string(dtype_name(tensor.dtype()));
  view["shape"] = tensor.shape();
  view["device"] = tensor.on_host() ? "cpu" : "cuda";
  return view;
}

}  // namespace
}  // namespace gnnrt::python

NB_MODULE(_gnnrt, m) {
  using namespace gnnrt;
  using namespace gnnrt::python;
  m.doc() = "gnnrt's C++ runtime; use the gnnrt package, which wraps it.";
  register_error_translation(m);

#ifdef GNNRT_WITH_CUDA
  m.attr("built_with_cuda") = true;
#else
  m.attr("built_with_cuda") = false;
#endif

  nb::class_<Engine>(m, "Engine")
      .def_static("build", &build_engine, "onnx_path"_a, "device"_a, "precision"_a, "min_shapes"_a, "opt_shapes"_a,
                  "max_shapes"_a, "max_nodes"_a, "max_edges"_a, "max_graphs"_a, "opt_nodes"_a = -1, "opt_edges"_a = -1,
                  "opt_graphs"_a = -1, "calibration_graphs"_a = nb::list(),
                  "calibration_cache"_a = "", "calibrator"_a = "entropy",
                  "layer_precisions"_a = std::vector<std::string>(), "int8_per_row"_a = false)
      .def_static("load", &Engine::load, "engine_path"_a, nb::call_guard<nb::gil_scoped_release>())
      .def("save", &Engine::save, "engine_path"_a, nb::call_guard<nb::gil_scoped_release>())
      .def_prop_ro("device", &Engine::device)
      .def_prop_ro("input_names", &Engine::input_names)
      .def_prop_ro("output_names", &Engine::output_names)
      .def("create_context", &Engine::create_context);

  nb::class_<ExecutionContext>(m, "ExecutionContext")
      .def("run", &run_context, "inputs"_a, "framework"_a, "cuda_device"_a = 0)
      .def("set_cuda_graphs", &ExecutionContext::set_cuda_graphs, "enabled"_a)
      .def("set_outputs_on_device", &ExecutionContext::set_outputs_on_device, "enabled"_a)
      .def(
          "set_stream",
          [](ExecutionContext& context, uintptr_t stream) { context.set_stream(reinterpret_cast<void*>(stream)); },
          "cuda_stream"_a);

  m.def(
      "find_unsupported_nodes",
      [](const std::string& onnx_path) {
        nb::list found;
        for (const UnsupportedNode& node : find_unsupported_nodes(onnx_path))
          found.append(nb::make_tuple(node.name, node.op_type, node.problem));
        return found;
      },
      "onnx_path"_a, "(name, op_type, problem) for every node of the ONNX file that gnnrt cannot import");
  m.def("describe_view", &describe_view, "array"_a,
        "The gnnrt tensor an input array becomes (address, dtype, shape, device)");
  m.def(
      "raise_error", [](int code, const std::string& message) { throw Error(static_cast<ErrorCode>(code), message); },
      "code"_a, "message"_a, "Raises gnnrt::Error with this code (1 internal, 2 invalid input): tests the translation");
}
