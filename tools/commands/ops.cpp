// gnnrt ops: the ONNX operators gnnrt imports (docs/OPERATORS.md is this command's --markdown).
#include <iomanip>
#include <iostream>
#include <memory>

#include "commands/commands.h"
#include "onnx/op_table.h"

namespace gnnrt::cli {

void add_ops_command(CLI::App& app, int& exit_code) {
  auto markdown = std::make_shared<bool>(false);
  CLI::App* command = app.add_subcommand("ops", "List the ONNX operators gnnrt supports");
  command->add_flag("--markdown", *markdown, "Print docs/OPERATORS.md");
  command->callback([markdown, &exit_code] {
    if (*markdown) {
      std::cout << onnx_import::operators_markdown();
    } else {
      for (const onnx_import::OpSupport& op : onnx_import::supported_ops())
        std::cout << std::left << std::setw(22) << op.op_type << " since opset " << std::setw(3) << op.since_opset
                  << " " << op.notes << "\n";
    }
    exit_code = 0;
  });
}

}  // namespace gnnrt::cli
