#include "error_translation.h"

#include <exception>

#include "gnnrt/error.h"

namespace gnnrt::python {
namespace {

struct ExceptionTypes {
  PyObject* invalid_input = nullptr;
  PyObject* internal = nullptr;
};

void translate(const std::exception_ptr& error, void* payload) {
  const auto* types = static_cast<const ExceptionTypes*>(payload);
  try {
    std::rethrow_exception(error);
  } catch (const Error& e) {
    PyErr_SetString(e.code() == ErrorCode::InvalidInput ? types->invalid_input : types->internal, e.what());
  }
}

}  // namespace

void register_error_translation(nanobind::module_& module) {
  // Made once, for the life of the interpreter, as module-level exception types are.
  static ExceptionTypes types;
  types.invalid_input = PyErr_NewExceptionWithDoc(
      "gnnrt.InvalidInputError", "The caller's file, tensor, option or model is wrong; the message says what to change.",
      PyExc_ValueError, nullptr);
  types.internal = PyErr_NewExceptionWithDoc(
      "gnnrt.InternalError", "A gnnrt bug or an environment failure (out of memory, a CUDA error).",
      PyExc_RuntimeError, nullptr);
  module.attr("InvalidInputError") = nanobind::handle(types.invalid_input);
  module.attr("InternalError") = nanobind::handle(types.internal);
  nanobind::register_exception_translator(translate, &types);
}

}  // namespace gnnrt::python
