#include "rules/substitution_template.h"

#include "expr/conversions.h"
#include "expr/parser.h"

namespace tributary::rules {

Result<SubstitutionTemplate> SubstitutionTemplate::Compile(std::string_view text,
                                                          const expr::VariableScope& scope) {
  SubstitutionTemplate t;
  t.text_ = std::string(text);
  std::string literal;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '$' || i + 1 >= text.size() || text[i + 1] != '{') {
      literal.push_back(text[i++]);
      continue;
    }
    // Find the matching '}', skipping quoted strings and nested braces.
    size_t start = i + 2;
    size_t j = start;
    int depth = 0;
    char quote = 0;
    for (; j < text.size(); ++j) {
      char c = text[j];
      if (quote != 0) {
        if (c == '\\') {
          ++j;
        } else if (c == quote) {
          quote = 0;
        }
      } else if (c == '\'' || c == '"') {
        quote = c;
      } else if (c == '{') {
        ++depth;
      } else if (c == '}') {
        if (depth == 0) break;
        --depth;
      }
    }
    std::string where = "${...} at position " + std::to_string(i + 1);
    if (j >= text.size()) return InvalidArgument(where + ": no closing '}'");
    std::string_view body = text.substr(start, j - start);
    auto ast = expr::ParseExpressionText(body);
    if (!ast.ok()) return ast.status().WithContext(where);
    auto node = expr::CompileAst(**ast, false, scope);
    if (!node.ok()) return node.status().WithContext(where);
    if (!literal.empty()) t.parts_.push_back(Part{std::move(literal), nullptr});
    literal.clear();
    t.parts_.push_back(Part{"", std::shared_ptr<const expr::Node>(std::move(node).value())});
    i = j + 1;
  }
  if (!literal.empty()) t.parts_.push_back(Part{std::move(literal), nullptr});
  return t;
}

std::string SubstitutionTemplate::Render(const expr::Message& m) const {
  m.ResetBuildBudget();  // a template is an evaluation of its own
  std::string out;
  for (const Part& p : parts_) {
    if (!p.node) {
      out += p.literal;
      continue;
    }
    auto s = expr::ToText(p.node->Eval(m));
    if (s) out += *s;
  }
  return out;
}

}  // namespace tributary::rules
