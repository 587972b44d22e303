#include "dlpack_tensors.h"

#include <memory>
#include <vector>

#include "gnnrt/error.h"

namespace gnnrt::python {
namespace {

using nb::dlpack::dtype_code;

DType dtype_from_dlpack(const nb::dlpack::dtype& type, const std::string& name) {
  const auto code = static_cast<dtype_code>(type.code);
  if (type.lanes == 1) {
    if (code == dtype_code::Float && type.bits == 32) return DType::Float32;
    if (code == dtype_code::Float && type.bits == 16) return DType::Float16;
    if (code == dtype_code::Float && type.bits == 64) return DType::Float64;
    if (code == dtype_code::Bfloat && type.bits == 16) return DType::BFloat16;
    if (code == dtype_code::Int && type.bits == 8) return DType::Int8;
    if (code == dtype_code::Int && type.bits == 16) return DType::Int16;
    if (code == dtype_code::Int && type.bits == 32) return DType::Int32;
    if (code == dtype_code::Int && type.bits == 64) return DType::Int64;
    if (code == dtype_code::UInt && type.bits == 8) return DType::UInt8;
    if (code == dtype_code::Bool && type.bits == 8) return DType::Bool;
  }
  fail_input("input '", name, "': element type (DLPack code ", int(type.code), ", ", int(type.bits),
             " bits) is not one gnnrt handles; convert it to float32, int64 or another type gnnrt lists");
}

nb::dlpack::dtype dtype_to_dlpack(DType dtype) {
  switch (dtype) {
    case DType::Float32: return nb::dtype<float>();
    case DType::Float64: return nb::dtype<double>();
    case DType::Float16: return {uint8_t(dtype_code::Float), 16, 1};
    case DType::BFloat16: return {uint8_t(dtype_code::Bfloat), 16, 1};
    case DType::Int8: return nb::dtype<int8_t>();
    case DType::Int16: return nb::dtype<int16_t>();
    case DType::Int32: return nb::dtype<int32_t>();
    case DType::Int64: return nb::dtype<int64_t>();
    case DType::UInt8: return nb::dtype<uint8_t>();
    case DType::Bool: return nb::dtype<bool>();
    case DType::Undefined: break;
  }
  fail_internal("an output of undefined element type");
}

// Releases the caller's array. The last reference may go on a thread without the GIL (the
// runtime drops inputs after their last reader) or after the interpreter began to finalise
// (then the reference is left: Python is freeing everything anyway).
void release_array(void* pointer) {
  auto* array = static_cast<InputArray*>(pointer);
#if PY_VERSION_HEX >= 0x030D0000
  if (!Py_IsInitialized() || Py_IsFinalizing()) return;
#else
  if (!Py_IsInitialized() || _Py_IsFinalizing()) return;
#endif
  nb::gil_scoped_acquire gil;
  delete array;
}

}  // namespace

Tensor tensor_from_array(const InputArray& array, const std::string& name) {
  const DType dtype = dtype_from_dlpack(array.dtype(), name);
  Dims shape(array.ndim());
  for (size_t axis = 0; axis < array.ndim(); ++axis) shape[axis] = static_cast<int64_t>(array.shape(axis));
  Device device;
  switch (array.device_type()) {
    case nb::device::cpu::value:
    case nb::device::cuda_host::value:  // pinned host memory is host memory
      device = Device::Host;
      break;
    case nb::device::cuda::value:
      device = Device::Cuda;
      break;
    default:
      fail_input("input '", name, "': its memory is on a device gnnrt cannot read (DLPack device type ",
                 array.device_type(), "); move it to the CPU or a CUDA GPU");
  }
  std::shared_ptr<void> owner(new InputArray(array), release_array);
  // const_cast: the Tensor type has no read-only view; the runtime only reads its inputs.
  return Tensor::view(dtype, std::move(shape), std::move(owner), const_cast<void*>(array.data()), device);
}

nb::object array_from_tensor(const Tensor& tensor, Framework framework, int cuda_device) {
  std::vector<size_t> shape(tensor.shape().begin(), tensor.shape().end());
  nb::capsule owner(new Tensor(tensor), [](void* pointer) noexcept { delete static_cast<Tensor*>(pointer); });
  const int device = tensor.on_host() ? nb::device::cpu::value : nb::device::cuda::value;
  const int device_id = tensor.on_host() ? 0 : cuda_device;
  // const_cast: a DLPack view may be written by its new owner; the storage is no longer gnnrt's.
  void* data = const_cast<void*>(tensor.raw());
  switch (framework) {
    case Framework::Numpy:
      return nb::ndarray<nb::numpy>(data, shape.size(), shape.data(), owner, nullptr, dtype_to_dlpack(tensor.dtype()),
                                    device, device_id)
          .cast();
    case Framework::Torch: {
      // torch.utils.dlpack.from_dlpack of a capsule builds the tensor at once. Handed an array
      // object instead (nanobind's nb::pytorch), it first looks up torch's current stream to
      // order the hand-over, some microseconds a call on CUDA; none is needed: the engine's work
      // is finished when run() returns.
      nb::object capsule = nb::ndarray<>(data, shape.size(), shape.data(), owner, nullptr,
                                         dtype_to_dlpack(tensor.dtype()), device, device_id)
                               .cast();  // with no framework named, nanobind casts to a DLPack capsule
      return nb::module_::import_("torch.utils.dlpack").attr("from_dlpack")(capsule);
    }
    case Framework::DLPack:
      break;
  }
  return nb::ndarray<nb::array_api>(data, shape.size(), shape.data(), owner, nullptr, dtype_to_dlpack(tensor.dtype()),
                                    device, device_id)
      .cast();
}

}  // namespace gnnrt::python
