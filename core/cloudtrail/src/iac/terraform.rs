//! Terraform configurations: `aws_cloudwatch_log_metric_filter` and
//! `aws_cloudwatch_metric_alarm` resources, and EventBridge's `aws_cloudwatch_event_rule` and
//! `aws_cloudwatch_event_target` ([`read_event_rules_module`])
//! ([metric filter](https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/cloudwatch_log_metric_filter),
//! [alarm](https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/cloudwatch_metric_alarm)).
//!
//! Files are parsed with `hcl-edit`, which keeps the byte span of every expression and template
//! literal. The `.tf` files of one directory form one module and are read together
//! ([`read_module`]), so a variable declared in `variables.tf` resolves in `main.tf`.
//!
//! Expressions are evaluated as far as the configuration itself allows: literals, quoted strings
//! and heredocs with `${…}` interpolations (with strip markers), `var.x` (from the variable's
//! `default`, or the values files given with the module, `.tfvars` and `.tfvars.json`, the
//! later over the earlier: `iac::load` gives them in Terraform's order),
//! `local.x`, `each.key`, `each.value`, `count.index`, attribute and index traversals,
//! conditionals, `==`, `!=`, `&&`, `||`, `!`, the conversions `toset`, `tolist`, `tomap`,
//! `tostring`, `jsonencode` (as Terraform writes JSON: keys sorted, `<`, `>`, `&` escaped), and
//! references to a metric filter's attributes (`name`, `id`,
//! `metric_transformation[0].name`, …). `for_each` (a map, or a set of strings) and `count`
//! make one filter or alarm per instance. Anything else — other functions, `for` expressions,
//! splats, data sources, variables without a default — is reported as a problem at its
//! location.
//!
//! A `module` call with a local `source` (`./…`, `../…`) is followed as `terraform plan` reads
//! it from the root (`Module::each_call`): the module is read once per instance of the call
//! (`count`, `for_each`), its variables set by the call's arguments, evaluated in the caller;
//! its resources are addressed `module.NAME[KEY].…`. Values keep the offsets of the module that
//! wrote them: a called module's files are given offsets after all of its callers', so a pattern
//! passed as an argument is located in the caller's file (`Module::located`). A source to
//! download from (the registry, Git, S3) is reported (`module-not-read`), not fetched. What
//! Terraform refuses in a call is said once per call: an argument the module declares no
//! variable for (`unknown-argument`), a required variable left out (`missing-argument`).
//! `module.NAME[KEY].OUTPUT` is the output's `value`, evaluated in the module for that
//! instance, and placed at the reference.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use hcl_edit::Span as _;
use hcl_edit::expr::{BinaryOperator, Expression, ObjectKey, TraversalOperator, UnaryOperator};
use hcl_edit::structure::{Block, BlockLabel, Body};
use hcl_edit::template::{Element, Template};
use serde_json::{Map, Value as Json};

use super::text::{Escapes, LineIndex, SourceText, align};
use super::{
    FilterPositions, Found, FoundAlarm, MISSING_ARGUMENT, MODULE_NOT_READ, Problem, Subject,
    UNDECLARED_VARIABLE, UNKNOWN_ARGUMENT, is_values_file,
};
use crate::rules::{MetricFilterDef, SourceLocation};
use trailmatch::MetricTransformation;

mod events;

pub use events::{read_event_rules, read_event_rules_module, read_event_rules_module_with};

/// The most instances a resource's `count` is read as; beyond it the
/// resource is reported, not read.
const MAX_COUNT: usize = 10_000;

/// The most metric filters and alarms (and problems) a configuration is read as, however its
/// modules' and resources' instances multiply (`count = 10000` in a module called with
/// `count = 10000`); beyond it the rest is reported, not read.
const MAX_INSTANCES: usize = 100_000;

const FILTER: &str = "aws_cloudwatch_log_metric_filter";
const ALARM: &str = "aws_cloudwatch_metric_alarm";

/// The most modules a chain of `module` calls holds, the root's included; a call deeper is
/// reported, not read.
const MAX_MODULE_DEPTH: usize = 32;

/// Finds the module a `module` call's local `source` names: given the directory (the calling
/// file's directory joined with the source), its resolved path and the `.tf` files of the
/// module, each a name and a text, or why they cannot be read.
pub type Loader<'l> = &'l (dyn Fn(&Path) -> Result<ModuleFiles, String> + Sync);

/// A module's directory, resolved, and its `.tf` files: each a name and a text.
pub type ModuleFiles = (PathBuf, Vec<(String, String)>);

/// Reads one Terraform file on its own.
pub fn read(file: &str, text: &str) -> Found {
    read_module(&[(file.to_owned(), text.to_owned())])
}

/// Reads the files of one module (the `.tf` files of a directory) together: each is a file name
/// and its text. Values files (named `.tfvars` or `.tfvars.json`) among them set the module's
/// variables, each over those before it. The modules it calls with a local `source` are read
/// from disk ([`module_files`]).
pub fn read_module(files: &[(String, String)]) -> Found {
    read_module_with(files, &module_files)
}

/// [`read_module`], finding the modules it calls with `load`: each call is read as Terraform
/// plans it, the module's variables set by the call's arguments, its resources addressed
/// `module.NAME[KEY].…`.
pub fn read_module_with(files: &[(String, String)], load: Loader<'_>) -> Found {
    read_root(files, load, |module, problems| {
        let mut found = Found {
            problems,
            ..Found::default()
        };
        module.read(&mut found);
        found
    })
}

/// Parses `files` as a root module and gives it, with the problems of its files' syntax, to
/// `read`, on a stack of its own ([`on_own_stack`]).
fn read_root<T: Send>(
    files: &[(String, String)],
    load: Loader<'_>,
    read: impl Fn(&Module<'_>, Vec<Problem>) -> T + Sync,
) -> T {
    on_own_stack(|| {
        let (parsed, problems) = parse_files(files, 0);
        let dir = parsed
            .iter()
            .find(|f| matches!(f.content, Content::Config(_)))
            .and_then(|f| directory_of(f.name));
        read(&Module::new(&parsed, load, dir), problems)
    })
}

/// The directory of the file `name`, resolved (links followed), if it exists.
fn directory_of(name: &str) -> Option<PathBuf> {
    let dir = Path::new(name).parent()?;
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    dir.canonicalize().ok()
}

/// The stack a configuration is read on: references are evaluated recursively, up to
/// [`MAX_DEPTH`] deep, through modules and their outputs, whatever the caller's own stack
/// (a test's thread has 2 MiB; a debug build needs about 1.8 MiB at half that depth).
const READ_STACK: usize = 64 << 20;

/// Runs `read` on a thread with a stack of [`READ_STACK`], or here when no thread can be
/// started.
fn on_own_stack<T: Send>(read: impl Fn() -> T + Sync) -> T {
    let done = std::thread::scope(|scope| {
        let thread = std::thread::Builder::new()
            .name("terraform".into())
            .stack_size(READ_STACK)
            .spawn_scoped(scope, &read);
        match thread.map(|t| t.join()) {
            Ok(Ok(done)) => Some(done),
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(_) => None,
        }
    });
    done.unwrap_or_else(read)
}

/// `path` with `.` left out and each `..` taking off the name before it, as Terraform joins a
/// module's directory and a source (`envs/prod/../../modules/cis` is `modules/cis`), without
/// following links.
fn lexical(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            Component::ParentDir if out.has_root() => {}
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// The `.tf` and `.tf.json` files of the directory `dir`, in name order (as Terraform reads
/// them), each a name and a text, and the directory resolved; or why they cannot be read.
/// Values files are left out: Terraform reads them for the root module only. A `.tf.json` file
/// is not read: its reader says so (`unsupported-file`).
pub fn module_files(dir: &Path) -> Result<ModuleFiles, String> {
    let resolved = dir
        .canonicalize()
        .map_err(|e| format!("cannot read the directory {}: {e}", dir.display()))?;
    let names = config_file_names(&resolved)
        .map_err(|e| format!("cannot read the directory {}: {e}", dir.display()))?;
    let mut files = Vec::new();
    for name in names {
        let path = dir.join(&name);
        let text = super::read_text(&path).map_err(|why| format!("{}: {why}", path.display()))?;
        files.push((path.display().to_string(), text));
    }
    Ok((resolved, files))
}

/// The names of the configuration files (`.tf`, `.tf.json`) of the directory `dir`, sorted,
/// without those Terraform ignores (a name starting with `.`, an editor's `~` or `#…#` copy).
fn config_file_names(dir: &Path) -> std::io::Result<Vec<std::ffi::OsString>> {
    use super::FileKind;
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let ignored = name.to_str().is_none_or(|n| {
            n.starts_with('.') || n.ends_with('~') || (n.starts_with('#') && n.ends_with('#'))
        });
        let kind = FileKind::of_path(Path::new(&name));
        let config = matches!(kind, Some(FileKind::Terraform | FileKind::TerraformJson));
        if !ignored && config && entry.path().is_file() {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

/// Whether the file `name` is configuration in Terraform's JSON syntax (`.tf.json`), which is
/// not read.
fn is_json_config(name: &str) -> bool {
    super::FileKind::of_path(Path::new(name)) == Some(super::FileKind::TerraformJson)
}

/// Parses each file of a module; a file that is not HCL (or JSON, for `.tfvars.json`) is a
/// `syntax` problem. The first file starts at offset `first_base` ([`File::base`]).
fn parse_files(files: &[(String, String)], first_base: usize) -> (Vec<File<'_>>, Vec<Problem>) {
    let mut parsed = Vec::new();
    let mut problems = Vec::new();
    for (name, text) in files {
        let index = LineIndex::new(text);
        let syntax = |at: usize, message: String| Problem {
            location: index.location(name, at),
            code: "syntax",
            message,
            incomplete: true,
            metric: None,
            subject: Subject::File,
        };
        if is_json_config(name) {
            problems.extend(super::read(super::FileKind::TerraformJson, name, text).problems);
            continue;
        }
        let base = parsed
            .last()
            .map_or(first_base, |f: &File| f.base + f.text.len() + 1);
        let content = if is_values_file(name) {
            values(name, text, base).map(Content::Values)
        } else {
            hcl_body(text).map(Content::Config)
        };
        match content {
            Ok(content) => {
                if let Content::Values(values) = &content {
                    problems.extend(
                        values
                            .iter()
                            .filter_map(|(_, _, value)| match value {
                                Value::Hcl(expr) => not_a_value(expr),
                                Value::Json(_) => None,
                            })
                            .map(|(at, message)| syntax(at, message)),
                    );
                }
                parsed.push(File {
                    name,
                    text,
                    index,
                    content,
                    base,
                })
            }
            Err((at, message)) => problems.push(syntax(at, message)),
        }
    }
    (parsed, problems)
}

struct File<'a> {
    name: &'a str,
    text: &'a str,
    index: LineIndex<'a>,
    content: Content,
    /// Where the file starts among the module's files, as if they were written one after the
    /// other: the offsets of the values' text ([`SourceText`]) are module offsets, so that a
    /// pattern built from a variable's value in another file is located in that file.
    base: usize,
}

/// What a file of a module holds.
enum Content {
    /// Configuration (`.tf`).
    Config(Body),
    /// Values of the module's variables (`.tfvars`, `.tfvars.json`).
    Values(Vec<Given>),
}

/// A value in a values file: the variable's name, where it is given (the byte of the name, or
/// in JSON of its value), and the value.
type Given = (String, usize, Value);

/// A variable's value in a values file.
enum Value {
    /// An HCL expression, evaluated where it is used.
    Hcl(Expression),
    /// A JSON value, read whole (its offsets are module offsets).
    Json(Val),
}

impl File<'_> {
    /// The configuration's blocks (none in a values file).
    fn blocks(&self) -> impl Iterator<Item = &Block> {
        match &self.content {
            Content::Config(body) => Some(body.blocks()),
            Content::Values(_) => None,
        }
        .into_iter()
        .flatten()
    }
}

/// `text` parsed as an HCL body; an error gives its byte offset and message. A byte order mark
/// that starts the file is read as blanks, as Terraform skips it (the offsets stay the file's).
fn hcl_body(text: &str) -> Result<hcl_edit::structure::Body, (usize, String)> {
    let parsed = match text.strip_prefix('\u{feff}') {
        Some(rest) => std::borrow::Cow::Owned(format!("   {rest}")),
        None => std::borrow::Cow::Borrowed(text),
    };
    hcl_edit::parser::parse_body(&parsed).map_err(|e| {
        (
            e.location().offset(),
            format!("invalid HCL: {}", e.message()),
        )
    })
}

/// The `name = value` lines of a values file: HCL attributes in `.tfvars`; one JSON object in
/// `.tfvars.json` (by its name as Terraform tells them apart, case and all), whose strings are
/// taken as written, as Terraform takes them (it reads values with no context, where a JSON
/// string is not a template). `base` is the file's module offset ([`File::base`]). An error
/// gives its byte offset and message.
fn values(name: &str, text: &str, base: usize) -> Result<Vec<Given>, (usize, String)> {
    if name.ends_with(".json") {
        return json_values(text, base);
    }
    let body = hcl_body(text)?;
    if let Some(block) = body.blocks().next() {
        return Err((
            start(block.ident.span()),
            "a .tfvars file holds only `name = value` lines, not blocks".into(),
        ));
    }
    Ok(body
        .attributes()
        .map(|a| {
            let at = start(a.key.span());
            (a.key.value().to_string(), at, Value::Hcl(a.value.clone()))
        })
        .collect())
}

/// The members of a JSON object in the order written, each value's text left as it is
/// (`serde_json`'s `RawValue`, a slice of the text read, which says where each value is).
struct Members<'a>(Vec<(String, &'a serde_json::value::RawValue)>);

impl<'de: 'a, 'a> serde::Deserialize<'de> for Members<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Members<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut map: M,
            ) -> Result<Members<'de>, M::Error> {
                let mut out = Vec::new();
                while let Some(member) = map.next_entry()? {
                    out.push(member);
                }
                Ok(Members(out))
            }
        }
        d.deserialize_map(Visit)
    }
}

/// A `.tfvars.json` file's members as values; a name given twice is an error, as Terraform's
/// ("Duplicate argument").
fn json_values(text: &str, base: usize) -> Result<Vec<Given>, (usize, String)> {
    let index = LineIndex::new(text);
    let members: Members = serde_json::from_str(text).map_err(|e| {
        let what = if e.classify() == serde_json::error::Category::Data {
            "a .tfvars.json file holds one JSON object of variable values"
        } else {
            "invalid JSON"
        };
        let at = index.offset_of(e.line(), e.column());
        (at, format!("{what}: {}", without_position(&e)))
    })?;
    let mut out: Vec<Given> = Vec::new();
    let mut names = std::collections::HashSet::new();
    for (name, raw) in members.0 {
        let at = offset_in(text, raw);
        if !names.insert(name.clone()) {
            return Err((at, format!("the variable {name} is given twice")));
        }
        out.push((name, at, Value::Json(json_val(text, raw, base, 0)?)));
    }
    Ok(out)
}

/// `serde_json`'s message without its own position (in bytes, from where it began to read):
/// the problem's location says where.
fn without_position(e: &serde_json::Error) -> String {
    let message = e.to_string();
    match message.rsplit_once(" at line ") {
        Some((m, _)) => m.to_owned(),
        None => message,
    }
}

/// Where `raw`, a slice of `text`, starts in it.
fn offset_in(text: &str, raw: &serde_json::value::RawValue) -> usize {
    (raw.get().as_ptr() as usize).saturating_sub(text.as_ptr() as usize)
}

/// How deep JSON values may nest in a values file (`serde_json`'s own limit).
const MAX_JSON_NESTING: usize = 128;

/// A JSON value of `text` as a [`Val`], its characters at their module offsets; `depth` is how
/// deep it lies.
fn json_val(
    text: &str,
    raw: &serde_json::value::RawValue,
    base: usize,
    depth: usize,
) -> Result<Val, (usize, String)> {
    let at = offset_in(text, raw);
    let json = raw.get();
    if depth > MAX_JSON_NESTING {
        return Err((
            at,
            format!("the JSON nests more than {MAX_JSON_NESTING} values deep"),
        ));
    }
    // At `at`, the value's place: serde's own position counts from the value.
    let invalid = |e: serde_json::Error| (at, format!("invalid JSON: {}", without_position(&e)));
    Ok(match json.as_bytes().first() {
        Some(b'"') => {
            let value: String = serde_json::from_str(json).map_err(invalid)?;
            let end = at + json.len().saturating_sub(1);
            Val::Str(align(&value, text, at + 1, end, Escapes::YamlDouble).shifted(base))
        }
        Some(b'[') => {
            let items: Vec<&serde_json::value::RawValue> =
                serde_json::from_str(json).map_err(invalid)?;
            Val::List(
                items
                    .into_iter()
                    .map(|item| json_val(text, item, base, depth + 1))
                    .collect::<Result<_, _>>()?,
            )
        }
        Some(b'{') => {
            let members: Members = serde_json::from_str(json).map_err(invalid)?;
            let mut entries: Vec<(String, Val)> = Vec::new();
            let mut keys = std::collections::HashSet::new();
            for (key, value) in members.0 {
                if !keys.insert(key.clone()) {
                    // As Terraform refuses it ("Duplicate object attribute").
                    let at = offset_in(text, value);
                    return Err((at, format!("the attribute {key} is given twice")));
                }
                entries.push((key, json_val(text, value, base, depth + 1)?));
            }
            Val::Obj(entries)
        }
        Some(b't' | b'f') => Val::Bool(json == "true"),
        Some(b'n') => Val::Null,
        _ => Val::Num(
            json.parse().unwrap_or(f64::NAN),
            SourceText::whole(json, base + at),
        ),
    })
}

/// Where and why a value of a values file is not a value: Terraform reads them with no
/// variables and no functions, and refuses a reference (`Variables not allowed`) or a function
/// call there. (A `for` expression is not evaluated here at all, and says so where it is used.)
fn not_a_value(expr: &Expression) -> Option<(usize, String)> {
    struct Find(Option<(usize, String)>);
    impl hcl_edit::visit::Visit for Find {
        fn visit_expr(&mut self, node: &Expression) {
            if self.0.is_some() {
                return;
            }
            let (what, terraform) = match node {
                Expression::Variable(v) => (
                    format!("a reference ({})", v.value()),
                    "Variables not allowed",
                ),
                Expression::FuncCall(f) => (
                    format!("a function call ({}())", f.name.name.value()),
                    "Function calls not allowed",
                ),
                Expression::ForExpr(_) => return,
                _ => return hcl_edit::visit::visit_expr(self, node),
            };
            self.0 = Some((
                start(node.span()),
                format!(
                    "{what} in a .tfvars file, where Terraform takes values only: \"{terraform}\""
                ),
            ));
        }
    }
    let mut find = Find(None);
    hcl_edit::visit::Visit::visit_expr(&mut find, expr);
    find.0
}

// ---- values ------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Val {
    Null,
    Bool(bool),
    Num(f64, SourceText),
    Str(SourceText),
    List(Vec<Val>),
    Obj(Vec<(String, Val)>),
}

impl Val {
    /// The value with every character placed at `at` (a value read from files that the offsets
    /// of this module do not reach: a called module's output).
    fn placed(self, at: usize) -> Val {
        match self {
            Val::Null | Val::Bool(_) => self,
            Val::Num(n, text) => Val::Num(n, SourceText::whole(&text.text, at)),
            Val::Str(text) => Val::Str(SourceText::whole(&text.text, at)),
            Val::List(items) => Val::List(items.into_iter().map(|v| v.placed(at)).collect()),
            Val::Obj(entries) => Val::Obj(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, v.placed(at)))
                    .collect(),
            ),
        }
    }

    fn to_json(&self) -> Json {
        match self {
            Val::Null => Json::Null,
            Val::Bool(b) => Json::Bool(*b),
            Val::Num(v, text) => text
                .text
                .parse::<i64>()
                .map(Json::from)
                .ok()
                .or_else(|| serde_json::Number::from_f64(*v).map(Json::Number))
                .unwrap_or(Json::Null),
            Val::Str(s) => Json::String(s.text.clone()),
            Val::List(items) => Json::Array(items.iter().map(Val::to_json).collect()),
            Val::Obj(entries) => Json::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// The value as text, as Terraform converts a primitive to a string (a number in decimal:
    /// [`decimal`], at the place of its first character).
    fn text(&self, at: usize) -> Option<SourceText> {
        match self {
            Val::Str(s) => Some(s.clone()),
            Val::Num(_, s) => Some(match decimal(&s.text) {
                Some(d) if d != s.text => SourceText::whole(&d, s.offset(0, at)),
                _ => s.clone(),
            }),
            Val::Bool(b) => Some(SourceText::whole(if *b { "true" } else { "false" }, at)),
            _ => None,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Val::Null => "null",
            Val::Bool(_) => "a bool",
            Val::Num(..) => "a number",
            Val::Str(_) => "a string",
            Val::List(_) => "a list",
            Val::Obj(_) => "an object",
        }
    }
}

/// A number written in decimal (`-`, digits, a fraction, an exponent) as Terraform writes the
/// number in a string (`big.Float`'s `Text('f', -1)`): no exponent, no leading zeros, no
/// trailing zeros after the point (`1.50` → `1.5`, `1e3` → `1000`, `0.5e-2` → `0.005`).
/// `None` for other text, or an exponent past a thousand.
fn decimal(text: &str) -> Option<String> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(body) => (true, body),
        None => (false, text),
    };
    let (mantissa, exponent) = match body.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i64>().ok()?),
        None => (body, 0),
    };
    let (int, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all = format!("{int}{fraction}");
    if all.is_empty() || !all.bytes().all(|b| b.is_ascii_digit()) || exponent.abs() > 1000 {
        return None;
    }
    // The digits without leading zeros, and where the point falls among them.
    let lead = all.len() - all.trim_start_matches('0').len();
    let digits = all.trim_start_matches('0').trim_end_matches('0');
    let point = int.len() as i64 + exponent - lead as i64;
    let out = if digits.is_empty() {
        "0".to_owned()
    } else if point <= 0 {
        format!("0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
    } else if point as usize >= digits.len() {
        format!("{digits}{}", "0".repeat(point as usize - digits.len()))
    } else {
        let (whole, rest) = digits.split_at(point as usize);
        format!("{whole}.{rest}")
    };
    Some(if negative { format!("-{out}") } else { out })
}

/// Why an expression could not be evaluated: where (a module offset, [`File::base`]: in the
/// module that wrote the expression, maybe one that calls the module reading it), a code and a
/// message.
#[derive(Clone, Debug)]
struct Unresolved {
    global: usize,
    code: &'static str,
    message: String,
    /// It is that references nest too deep where it was asked: asked from less deep, the same
    /// value may be read (so it is not kept as the value's answer).
    too_deep: bool,
}

/// `each` and `count` for one resource instance.
#[derive(Clone, Debug, Default)]
struct Instance {
    each: Option<(Val, Val)>,
    count: Option<usize>,
    /// `["key"]` or `[0]`.
    suffix: String,
}

/// The arguments of a `module` call that set no variable of the module.
const META_ARGUMENTS: [&str; 6] = [
    "source",
    "version",
    "count",
    "for_each",
    "providers",
    "depends_on",
];

/// Values read once and kept ([`remember`]), by key: each the value, or why it cannot be read.
type Kept<K, V> = std::cell::RefCell<BTreeMap<K, Result<V, Unresolved>>>;

/// The operators of a traversal (`.name`, `[key]`).
type Ops = [hcl_edit::Decorated<TraversalOperator>];

/// What `read` gives for `key`, read once and kept in `kept`: asked for again while it is read,
/// it is `cycle` (it refers to itself); cut short by [`MAX_DEPTH`], it is not kept (read from
/// less deep, it may be whole). Locals, variables, module outputs and a call's instances are
/// each read so.
fn remember<K: Ord + Clone, V: Clone>(
    kept: &Kept<K, V>,
    key: K,
    cycle: Unresolved,
    read: impl FnOnce() -> Result<V, Unresolved>,
) -> Result<V, Unresolved> {
    if let Some(known) = kept.borrow().get(&key) {
        return known.clone();
    }
    kept.borrow_mut().insert(key.clone(), Err(cycle));
    let value = read();
    if value.as_ref().is_err_and(|e| e.too_deep) {
        kept.borrow_mut().remove(&key);
    } else {
        kept.borrow_mut().insert(key, value.clone());
    }
    value
}

/// An instance's key as text: its `for_each` key, or its `count.index` in decimal.
fn instance_key(instance: &Instance) -> Option<String> {
    match (&instance.each, instance.count) {
        (Some((key, _)), _) => Some(key.text(0)?.text),
        (None, Some(n)) => Some(n.to_string()),
        (None, None) => None,
    }
}

/// The instances of a `module` call, and each one's index by its key as text (`count`'s as
/// numbers written in decimal: Terraform turns `module.m["1"]` into `module.m[1]`).
type Keyed = std::rc::Rc<(Vec<Instance>, BTreeMap<String, usize>)>;

/// Evaluating more than this many nested references means a cycle (cycles through locals and
/// variables; one through module outputs or a call's instances is found as soon as it closes).
/// It also bounds the stack: the references of a chain of modules, each reading the outputs of
/// the one before, nest a few deep per module.
const MAX_DEPTH: usize = 256;

/// A variable's value where it is read: its `default`, or a values file's, or the argument a
/// `module` call gives it: an expression of the caller's file, evaluated there (for the call's
/// instance) when the variable is used.
#[derive(Clone, Copy)]
enum Default<'a> {
    Hcl(&'a Expression),
    Json(&'a Val),
    Argument(&'a Expression, &'a Instance),
}

struct Module<'a> {
    files: &'a [File<'a>],
    /// The module whose `module` call this one is read for (`None` for a root module).
    outer: Option<&'a Module<'a>>,
    /// Where this module's resources are: `""` in a root module, `module.NAME[KEY].` (after the
    /// caller's own) in a called one.
    prefix: String,
    /// The module's directory, resolved (when known): a call of a directory that a caller
    /// of this module has is a cycle.
    dir: Option<PathBuf>,
    load: Loader<'a>,
    /// `(file, block)` of every `module` call, in file order.
    calls: Vec<(usize, &'a Block)>,
    /// `(file, byte, name)` of each value that a values file of the module's own directory
    /// gives a variable the module does not declare.
    undeclared: Vec<(usize, usize, &'a str)>,
    /// In a root module, the outputs of the modules read from it, as `module_output` has read
    /// them, by the module's address (`module.a["k"].module.b.`) and the output's name: each is
    /// read once however often, and from however deep, it is referred to.
    /// (Their values' characters are at no place: a reference places them.)
    outputs: Kept<(String, String), Val>,
    /// The values of the locals read, by name (see `Module::local`).
    local_values: Kept<String, Val>,
    /// The values of the variables read, by name: a variable is the same wherever it is used
    /// in one instance of a module.
    variable_values: Kept<String, Val>,
    /// In a root module, the instances of each call referred to, by the calling module's
    /// address and the call's index in its `calls`.
    call_instances: Kept<(String, usize), Keyed>,
    /// In a root module, the modules loaded for `module` calls, by the path their `source`
    /// names: each directory is loaded once.
    loaded: std::cell::RefCell<BTreeMap<PathBuf, Result<std::rc::Rc<ModuleFiles>, String>>>,
    /// `(file, block)` of each `output`, by name.
    declared_outputs: BTreeMap<&'a str, (usize, &'a Block)>,
    variables: BTreeMap<&'a str, (usize, Option<Default<'a>>)>,
    /// The variables declared `nullable = false`, with their default: a null value gives them
    /// their default.
    not_nullable: BTreeMap<&'a str, (usize, Option<Default<'a>>)>,
    locals: BTreeMap<&'a str, (usize, &'a Expression)>,
    /// `(file, block)` of every resource, in file order.
    resources: Vec<(usize, &'a Block)>,
    /// In a root module, whether [`MAX_INSTANCES`] was passed (and said).
    capped: std::cell::Cell<bool>,
    /// In a root module, the filter and alarm instances read so far (read or found wrong).
    instances_read: std::cell::Cell<usize>,
}

fn label(l: &BlockLabel) -> &str {
    match l {
        BlockLabel::Ident(i) => i.value().as_str(),
        BlockLabel::String(s) => s.value().as_str(),
    }
}

fn start(span: Option<Range<usize>>) -> usize {
    span.map_or(0, |r| r.start)
}

impl<'a> Module<'a> {
    /// The module of `files`, whose directory is `dir` (resolved, when known).
    fn new(files: &'a [File<'a>], load: Loader<'a>, dir: Option<PathBuf>) -> Module<'a> {
        let mut module = Module {
            files,
            outer: None,
            prefix: String::new(),
            dir,
            load,
            calls: Vec::new(),
            undeclared: Vec::new(),
            outputs: std::cell::RefCell::default(),
            call_instances: std::cell::RefCell::default(),
            local_values: std::cell::RefCell::default(),
            variable_values: std::cell::RefCell::default(),
            declared_outputs: BTreeMap::new(),
            loaded: std::cell::RefCell::default(),
            variables: BTreeMap::new(),
            not_nullable: BTreeMap::new(),
            locals: BTreeMap::new(),
            resources: Vec::new(),
            capped: std::cell::Cell::new(false),
            instances_read: std::cell::Cell::new(0),
        };
        for (f, file) in files.iter().enumerate() {
            for block in file.blocks() {
                let labels: Vec<&str> = block.labels.iter().map(label).collect();
                match (block.ident.value().as_str(), labels.as_slice()) {
                    ("variable", [name]) => {
                        let default = block.body.get_attribute("default");
                        let default = default.map(|a| Default::Hcl(&a.value));
                        module.variables.insert(name, (f, default));
                        let nullable = block.body.get_attribute("nullable");
                        if nullable
                            .is_some_and(|a| matches!(&a.value, Expression::Bool(b) if !*b.value()))
                        {
                            module.not_nullable.insert(name, (f, default));
                        }
                    }
                    ("locals", []) => {
                        for attr in block.body.attributes() {
                            module
                                .locals
                                .insert(attr.key.value().as_str(), (f, &attr.value));
                        }
                    }
                    ("resource", [_, _]) => module.resources.push((f, block)),
                    ("module", [_]) => module.calls.push((f, block)),
                    ("output", [name]) => {
                        module.declared_outputs.insert(name, (f, block));
                    }
                    _ => {}
                }
            }
        }
        // Values files set the variables they name, each over those before it (the files are
        // given in Terraform's order: see `iac::texts`). A name the module does not declare is
        // left out, as Terraform leaves it (with a warning), and so is a value it refuses.
        for (f, file) in files.iter().enumerate() {
            let Content::Values(values) = &file.content else {
                continue;
            };
            // Terraform warns of a value for a variable the module does not declare; a values
            // file from elsewhere may be meant for other modules read with this one.
            let own = module.dir.is_some() && directory_of(file.name) == module.dir;
            for (name, at, value) in values {
                if own && !module.variables.contains_key(name.as_str()) {
                    module.undeclared.push((f, *at, name));
                }
                let null = matches!(
                    value,
                    Value::Hcl(Expression::Null(_)) | Value::Json(Val::Null)
                );
                let value = match value {
                    Value::Hcl(expr) if not_a_value(expr).is_some() => continue,
                    Value::Hcl(expr) => Default::Hcl(expr),
                    Value::Json(val) => Default::Json(val),
                };
                let value = match module.not_nullable.get(name.as_str()) {
                    Some(&default) if null => default,
                    _ => (f, Some(value)),
                };
                if let Some(variable) = module.variables.get_mut(name.as_str()) {
                    *variable = value;
                }
            }
        }
        // Read without some `.tf` file of its directory (files named one by one), the module
        // may declare elsewhere what its values file sets: then nothing is said.
        if !module.undeclared.is_empty() && !module.whole_directory() {
            module.undeclared.clear();
        }
        module
    }

    /// Whether the module's configuration files are every `.tf` file of its directory.
    fn whole_directory(&self) -> bool {
        let Some(Ok(on_disk)) = self.dir.as_deref().map(config_file_names) else {
            return false;
        };
        let read: std::collections::BTreeSet<_> = self
            .files
            .iter()
            .filter(|f| matches!(f.content, Content::Config(_)))
            .filter_map(|f| Path::new(f.name).file_name())
            .collect();
        on_disk
            .iter()
            .filter(|name| !name.to_str().is_some_and(is_json_config))
            .all(|name| read.contains(name.as_os_str()))
    }

    /// The module that the `module` call `block` (of file `f`) reads for its `instance`, from
    /// `files`, parsed from the directory `dir`: its variables set by the call's arguments (those
    /// it declares: [`Module::check_call`] says what else the call gives or lacks), evaluated
    /// here when used.
    fn called(
        &'a self,
        files: &'a [File<'a>],
        (f, block): (usize, &'a Block),
        instance: &'a Instance,
        dir: PathBuf,
    ) -> Module<'a> {
        let name = block.labels.first().map(label).unwrap_or_default();
        let mut module = Module::new(files, self.load, Some(dir));
        module.outer = Some(self);
        module.prefix = format!("{}module.{name}{}.", self.prefix, instance.suffix);
        for argument in block.body.attributes() {
            let name = argument.key.value().as_str();
            if let Some(variable) = module.variables.get_mut(name) {
                *variable = (f, Some(Default::Argument(&argument.value, instance)));
            }
        }
        module
    }

    /// What Terraform refuses in the `module` call `block` (of file `f`) of `module` (read with
    /// its defaults), once per call whatever its instances: an argument the module declares no
    /// variable for, a variable without a default that the call does not set.
    fn check_call(
        &self,
        f: usize,
        block: &Block,
        module: &Module<'_>,
        problems: &mut Vec<Problem>,
    ) {
        // Named by the call alone (not by the instance of this module): a module called several
        // times says it once.
        let name = block.labels.first().map(label).unwrap_or_default();
        let call = format!("module.{name}");
        let declared = &module.variables;
        let mut error = |at: usize, code: &'static str, message: String| {
            problems.push(Problem {
                location: self.location(f, at),
                code,
                message: format!("{call}: {message}"),
                incomplete: false,
                metric: None,
                subject: Subject::File,
            });
        };
        let given: Vec<_> = block
            .body
            .attributes()
            .filter(|a| !META_ARGUMENTS.contains(&a.key.value().as_str()))
            .collect();
        for argument in &given {
            let argument_name = argument.key.value().as_str();
            if !declared.contains_key(argument_name) {
                error(
                    start(argument.key.span()),
                    UNKNOWN_ARGUMENT,
                    format!(
                        "the module declares no variable {argument_name:?}, so Terraform refuses \
                         the argument"
                    ),
                );
            }
        }
        for (variable, (_, default)) in declared {
            if default.is_none() && !given.iter().any(|a| a.key.value().as_str() == *variable) {
                error(
                    start(block.ident.span()),
                    MISSING_ARGUMENT,
                    format!(
                        "the module's variable {variable:?} has no default, and the call does not \
                         set it: Terraform refuses the call"
                    ),
                );
            }
        }
    }

    /// Where the offsets of this module's files end, and those of the modules it calls may
    /// start: after every file of its callers too.
    fn end(&self) -> usize {
        let own = self.files.last().map_or(0, |f| f.base + f.text.len() + 1);
        own.max(self.outer.map_or(0, Module::end))
    }

    fn location(&self, file: usize, at: usize) -> SourceLocation {
        match self.files.get(file) {
            Some(f) => f.index.location(f.name, at),
            None => SourceLocation::default(),
        }
    }

    /// The module offset of byte `at` of file `f` (see [`File::base`]).
    fn global(&self, f: usize, at: usize) -> usize {
        self.files.get(f).map_or(at, |file| file.base + at)
    }

    /// The file and byte of a module offset.
    fn place(&self, global: usize) -> (usize, usize) {
        let f = self
            .files
            .partition_point(|file| file.base <= global)
            .saturating_sub(1);
        let base = self.files.get(f).map_or(0, |file| file.base);
        (f, global - base)
    }

    /// A [`SourceLocation`] for a module offset: in this module's files, or in a caller's
    /// (whose offsets all come before this module's).
    fn located(&self, global: usize) -> SourceLocation {
        match self.outer {
            Some(outer) if self.files.first().is_none_or(|f| global < f.base) => {
                outer.located(global)
            }
            _ => {
                let (f, at) = self.place(global);
                self.location(f, at)
            }
        }
    }

    /// The positions of a pattern's bytes, in whichever files they were written, and of
    /// `fallback` in file `f` for an empty pattern.
    fn positions(&self, pattern: &SourceText, f: usize, fallback: usize) -> FilterPositions {
        FilterPositions::from_locations(
            pattern.at.iter().map(|&at| self.located(at)),
            self.location(f, fallback),
        )
    }

    fn unresolved(
        &self,
        file: usize,
        at: usize,
        code: &'static str,
        message: String,
    ) -> Unresolved {
        Unresolved {
            global: self.global(file, at),
            code,
            message,
            too_deep: false,
        }
    }

    fn report(
        &self,
        found: &mut Found,
        e: Unresolved,
        context: &str,
        subject: Subject,
        incomplete: bool,
    ) {
        found.problems.push(Problem {
            location: self.located(e.global),
            code: e.code,
            message: format!("{context}: {}", e.message),
            incomplete,
            metric: None,
            subject,
        });
    }

    /// Reads each module this one calls with a local `source`, once per instance of the call
    /// (`count`, `for_each`), with `visit`; what keeps a call from being read is a problem.
    fn each_call(&self, problems: &mut Vec<Problem>, visit: &mut dyn FnMut(&Module<'_>)) {
        for (call_index, &(f, block)) in self.calls.iter().enumerate() {
            let name = block.labels.first().map(label).unwrap_or_default();
            let call = format!("module.{name}");
            let not_read = |location: SourceLocation, code: &'static str, message: &str| Problem {
                location,
                code,
                message: format!("{}{call}: {message}", self.prefix),
                incomplete: true,
                metric: None,
                subject: Subject::File,
            };
            let source = match self.call_source(f, block, 0) {
                Ok(source) => source,
                Err((at, message)) => {
                    problems.push(not_read(self.location(f, at), MODULE_NOT_READ, &message));
                    continue;
                }
            };
            let (dir, texts) = &*source;
            let (parsed, parse_problems) = parse_files(texts, self.end());
            problems.extend(parse_problems);
            // What a `.tf.json` file declares is not known: nothing is said of the arguments.
            if !texts.iter().any(|(name, _)| is_json_config(name)) {
                let module = Module::new(&parsed, self.load, Some(dir.clone()));
                self.check_call(f, block, &module, problems);
            }
            let instances = match self.keyed_instances(call_index, f, block, 0) {
                Ok(instances) => instances,
                Err(e) => {
                    let message = format!("{}: the module is not read", e.message);
                    problems.push(not_read(self.located(e.global), e.code, &message));
                    continue;
                }
            };
            for instance in &instances.0 {
                visit(&self.called(&parsed, (f, block), instance, dir.clone()));
            }
        }
    }

    /// The module that the `module` call `block` (of file `f`) names: its directory resolved and
    /// its `.tf` files (loaded once per directory for the root module, however many calls and
    /// instances read it); or where and why it is not read (no local source, not readable, too
    /// deep, a caller of this module).
    fn call_source(
        &self,
        f: usize,
        block: &Block,
        depth: usize,
    ) -> Result<std::rc::Rc<ModuleFiles>, (usize, String)> {
        let Some(source) = block.body.get_attribute("source") else {
            return Err((start(block.span()), "no source".into()));
        };
        let at = start(source.value.span());
        let source = match self.eval(f, &source.value, &Instance::default(), depth + 1) {
            Ok(Val::Str(text)) => text.text,
            Ok(other) => return Err((at, format!("the source is {}, not a string", other.kind()))),
            Err(e) => return Err((at, e.message)),
        };
        // Terraform takes a source for a local directory only when it starts so; any other is
        // an address to download from (the registry, Git, S3, HTTP).
        if !(source.starts_with("./") || source.starts_with("../")) {
            return Err((
                at,
                format!(
                    "the source {source:?} is not a local directory (./ or ../): the module's \
                     resources are not read"
                ),
            ));
        }
        let file_dir = self
            .files
            .get(f)
            .and_then(|file| Path::new(file.name).parent())
            .unwrap_or(Path::new(""));
        let path = lexical(&file_dir.join(&source));
        let known = self.root().loaded.borrow().get(&path).cloned();
        let loaded = known.unwrap_or_else(|| {
            let loaded = (self.load)(&path).map(std::rc::Rc::new);
            self.root().loaded.borrow_mut().insert(path, loaded.clone());
            loaded
        });
        let module = loaded.map_err(|why| (at, why))?;
        // (After the load: a loader that keeps which directories are called sees this one.)
        if std::iter::successors(Some(self), |m| m.outer).count() >= MAX_MODULE_DEPTH {
            return Err((
                at,
                format!(
                    "module calls nest more than {MAX_MODULE_DEPTH} deep: the module is not read"
                ),
            ));
        }
        let dir = &module.0;
        let mut callers = std::iter::successors(Some(self), |m| m.outer);
        if callers.any(|m| m.dir.as_ref() == Some(dir)) {
            let message = format!(
                "{} calls itself: the module is not read again",
                dir.display()
            );
            return Err((at, message));
        }
        Ok(module)
    }

    /// `module.NAME[KEY].OUTPUT` (`ops` after `NAME`): the output's `value`, evaluated in the
    /// module for that instance of the call. What a module gives back is read from its files
    /// for the reference, so every character of it is placed at the reference (`at`), and so is
    /// anything wrong in it.
    fn module_output(
        &self,
        f: usize,
        at: usize,
        name: &str,
        ops: &Ops,
        inst: &Instance,
        depth: usize,
    ) -> Result<Val, Unresolved> {
        let missing = |what: String| Err(self.unresolved(f, at, "unresolved-reference", what));
        let here = self.global(f, at);
        let Some((call_index, &(cf, block))) = self
            .calls
            .iter()
            .enumerate()
            .find(|(_, (_, b))| b.labels.first().map(label) == Some(name))
        else {
            return missing(format!("no module call named {name}"));
        };
        let instances = self.keyed_instances(call_index, cf, block, depth)?;
        let by_key = |key: &str| instances.1.get(key).and_then(|&i| instances.0.get(i));
        let what = format!("module.{name}");
        let (instance, ops) =
            self.named_instance((f, at), &what, &instances.0, by_key, ops, (inst, depth))?;
        let mut ops = ops.iter();
        let Some(TraversalOperator::GetAttr(output)) = ops.next().map(|o| o.value()) else {
            return missing(format!(
                "module.{name} alone is not a value: name one of its outputs"
            ));
        };
        let output = output.value().as_str();
        let call = format!("module.{name}{}", instance.suffix);
        let key = (format!("{}{call}.", self.prefix), output.to_owned());
        let cycle = format!("{call}.{output} refers to itself (a cycle)");
        let cycle = self.unresolved(f, at, "unresolved-reference", cycle);
        let value = remember(&self.root().outputs, key, cycle, || {
            match self.call_source(cf, block, depth + 1) {
                Err((_, why)) => Err(self.unresolved(f, at, "unresolved-reference", why)),
                Ok(source) => {
                    let (dir, texts) = &*source;
                    let (parsed, _) = parse_files(texts, self.end());
                    let child = self.called(&parsed, (cf, block), instance, dir.clone());
                    child.output(output, depth + 1).map_err(|e| Unresolved {
                        message: format!("{call}.{output}: {}", e.message),
                        ..e
                    })
                }
            }
        });
        // What is wrong in the output is said at the reference.
        let value = value.map_err(|e| Unresolved { global: here, ..e })?;
        let rest: Vec<_> = ops.cloned().collect();
        self.apply(f, value.placed(here), &rest, inst, depth)
    }

    /// The instance of `what` (a resource or a `module` call, of `instances`) that a reference
    /// at byte `at` of file `f` names, and the operators after it: with `count` or `for_each`,
    /// the one `by_key` finds for the `[KEY]` that `ops` start with; without, the only one.
    fn named_instance<'i, 'o>(
        &self,
        (f, at): (usize, usize),
        what: &str,
        instances: &'i [Instance],
        by_key: impl Fn(&str) -> Option<&'i Instance>,
        ops: &'o Ops,
        (inst, depth): (&Instance, usize),
    ) -> Result<(&'i Instance, &'o Ops), Unresolved> {
        let missing = |message: String| self.unresolved(f, at, "unresolved-reference", message);
        if let [single] = instances {
            if single.suffix.is_empty() {
                return Ok((single, ops));
            }
        }
        let Some((key, rest)) = self.index_key(f, at, ops, inst, depth)? else {
            let message = format!("{what} has count or for_each: name an instance, {what}[KEY]");
            return Err(missing(message));
        };
        match by_key(&key) {
            Some(instance) => Ok((instance, rest)),
            None => Err(missing(format!("{what} has no instance [{key:?}]"))),
        }
    }

    /// The key of an index (`[KEY]`, `.N`) that `ops` start with, as text, and the operators
    /// after it; `None` when they start otherwise.
    fn index_key<'o>(
        &self,
        f: usize,
        at: usize,
        ops: &'o Ops,
        inst: &Instance,
        depth: usize,
    ) -> Result<Option<(String, &'o Ops)>, Unresolved> {
        let key = match ops.first().map(|o| o.value()) {
            Some(TraversalOperator::Index(e)) => self.eval(f, e, inst, depth + 1)?,
            Some(TraversalOperator::LegacyIndex(n)) => Val::Num(
                *n.value() as f64,
                SourceText::whole(&n.value().to_string(), 0),
            ),
            _ => return Ok(None),
        };
        let Some(key) = key.text(self.global(f, at)) else {
            let message = format!(
                "an instance is named by a string or a number, not {}",
                key.kind()
            );
            return Err(self.unresolved(f, at, "unresolved-reference", message));
        };
        Ok(Some((key.text, ops.get(1..).unwrap_or_default())))
    }

    /// The instances of the call `block` (of file `f`, `calls[call]`), read once, `depth`
    /// references deep.
    fn keyed_instances(
        &self,
        call: usize,
        f: usize,
        block: &Block,
        depth: usize,
    ) -> Result<Keyed, Unresolved> {
        let name = block.labels.first().map(label).unwrap_or_default();
        let cycle = format!(
            "the instances of module.{name} (count, for_each) refer to themselves (a cycle)"
        );
        let cycle = self.unresolved(f, start(block.span()), "unresolved-reference", cycle);
        let key = (self.prefix.clone(), call);
        remember(&self.root().call_instances, key, cycle, || {
            let instances = self.instances_at(f, block, depth)?;
            let keys = instances
                .iter()
                .enumerate()
                .filter_map(|(i, instance)| Some((instance_key(instance)?, i)))
                .collect();
            Ok(std::rc::Rc::new((instances, keys)))
        })
    }

    /// The root module this one is read from (itself for a root).
    fn root(&self) -> &Module<'a> {
        std::iter::successors(Some(self), |m| m.outer)
            .last()
            .unwrap_or(self)
    }

    /// The value of this module's `output` named `name`.
    fn output(&self, name: &str, depth: usize) -> Result<Val, Unresolved> {
        let missing = |f: usize, at: usize, message: String| {
            Err(self.unresolved(f, at, "unresolved-reference", message))
        };
        let Some(&(f, block)) = self.declared_outputs.get(name) else {
            return missing(0, 0, format!("the module has no output named {name}"));
        };
        match block.body.get_attribute("value") {
            Some(value) => self.eval(f, &value.value, &Instance::default(), depth),
            None => missing(
                f,
                start(block.span()),
                format!("the output {name} has no value"),
            ),
        }
    }

    fn read(&self, found: &mut Found) {
        for &(f, at, name) in &self.undeclared {
            found.problems.push(Problem {
                location: self.location(f, at),
                code: UNDECLARED_VARIABLE,
                message: format!(
                    "value for undeclared variable: the module declares no variable {name:?}, \
                     so this value is not used"
                ),
                incomplete: false,
                metric: None,
                subject: Subject::File,
            });
        }
        self.read_resources(found);
        let mut problems = Vec::new();
        self.each_call(&mut problems, &mut |child| {
            if child.room() > 0 {
                child.read(found);
            } else {
                // Only to say so, at its first filter or alarm; the modules it calls are not
                // read.
                child.read_resources(found);
            }
        });
        found.problems.extend(problems);
    }

    /// Says, once, that [`MAX_INSTANCES`] was passed at byte `at` of file `f`.
    /// How many more filter and alarm instances the configuration is read as
    /// ([`MAX_INSTANCES`]).
    fn room(&self) -> usize {
        MAX_INSTANCES.saturating_sub(self.root().instances_read.get())
    }

    fn say_capped(&self, found: &mut Found, f: usize, at: usize, address: &str) {
        if self.root().capped.replace(true) {
            return;
        }
        let e = self.unresolved(
            f,
            at,
            "unsupported-expression",
            format!(
                "the configuration makes more than {MAX_INSTANCES} metric filters and alarms: \
                 this instance and the rest are not read"
            ),
        );
        self.report(found, e, address, Subject::File, true);
    }

    /// Whether file `f` is an override file (`override.tf`, `*_override.tf`), whose blocks
    /// Terraform merges into those of the same address.
    fn is_override(&self, f: usize) -> bool {
        self.files.get(f).is_some_and(|file| {
            let name = Path::new(file.name).file_name().and_then(|n| n.to_str());
            name.is_some_and(|n| n == "override.tf" || n.ends_with("_override.tf"))
        })
    }

    fn read_resources(&self, found: &mut Found) {
        // Each filter and alarm address: where it is defined, and where overridden. Terraform
        // refuses a configuration that defines one twice, and merges override files' blocks
        // into the definition, argument by argument: neither is done here, so such a resource
        // is not read, and said so (read as written, an overridden pattern could cover a CIS
        // control its override does not).
        let mut defined: BTreeMap<(&str, &str), Vec<(usize, &Block)>> = BTreeMap::new();
        let mut overridden: BTreeMap<(&str, &str), Vec<(usize, &Block)>> = BTreeMap::new();
        for &(f, block) in &self.resources {
            let kind = block.labels.first().map(label).unwrap_or_default();
            let name = block.labels.get(1).map(label).unwrap_or_default();
            let by_address = if self.is_override(f) {
                &mut overridden
            } else {
                &mut defined
            };
            by_address.entry((kind, name)).or_default().push((f, block));
        }
        for &(f, block) in &self.resources {
            let kind = block.labels.first().map(label).unwrap_or_default();
            if kind != FILTER && kind != ALARM {
                continue;
            }
            let name = block.labels.get(1).map(label).unwrap_or_default();
            let at = start(block.span());
            let subject = if kind == FILTER {
                Subject::Filter
            } else {
                Subject::Alarm
            };
            let address = format!("{}{kind}.{name}", self.prefix);
            let elsewhere = |blocks: Option<&Vec<(usize, &Block)>>| -> Vec<String> {
                blocks
                    .into_iter()
                    .flatten()
                    .filter(|&&(g, b)| !(g == f && std::ptr::eq(b, block)))
                    .map(|&(g, b)| self.location(g, start(b.span())).to_string())
                    .collect()
            };
            // Why the resource is not read, if it is not.
            let twice = elsewhere(defined.get(&(kind, name)));
            let overrides = elsewhere(overridden.get(&(kind, name)));
            let refused = if self.is_override(f) {
                // Said where it is defined (or here, when it is not).
                (!defined.contains_key(&(kind, name))).then(|| {
                    (
                        "invalid-resource",
                        "an override of a resource no other file of the module defines \
                         (Terraform refuses it)"
                            .to_owned(),
                    )
                })
            } else if !twice.is_empty() {
                let said = format!(
                    "defined again at {} (Terraform refuses a duplicate resource)",
                    twice.join(", ")
                );
                Some(("invalid-resource", said))
            } else if !overrides.is_empty() {
                let said = format!(
                    "overridden at {} (override files are not merged here)",
                    overrides.join(", ")
                );
                Some(("unsupported-expression", said))
            } else {
                None
            };
            if self.is_override(f) || refused.is_some() {
                if let Some((code, said)) = refused {
                    let e = self.unresolved(f, at, code, format!("{said}; not read"));
                    self.report(found, e, &address, subject, true);
                }
                continue;
            }
            if self.room() == 0 {
                return self.say_capped(found, f, at, &address);
            }
            let mut instances = match self.instances(f, block) {
                Ok(i) => i,
                Err(e) => {
                    self.report(found, e, &address, subject, true);
                    continue;
                }
            };
            let room = self.room();
            if let Some(first) = instances.get(room) {
                // Said of the first instance not read.
                let unread = format!("{address}{}", first.suffix);
                instances.truncate(room);
                self.say_capped(found, f, at, &unread);
            }
            let read = &self.root().instances_read;
            read.set(read.get() + instances.len());
            for instance in instances {
                let address = format!("{}{kind}.{name}{}", self.prefix, instance.suffix);
                if kind == FILTER {
                    self.filter(found, f, block, &instance, &address);
                } else {
                    self.alarm(found, f, at, block, &instance, &address);
                }
            }
        }
    }

    /// The instances `for_each` or `count` make (one without either).
    fn instances(&self, f: usize, block: &Block) -> Result<Vec<Instance>, Unresolved> {
        self.instances_at(f, block, 0)
    }

    /// [`Module::instances`], `depth` references deep.
    fn instances_at(
        &self,
        f: usize,
        block: &Block,
        depth: usize,
    ) -> Result<Vec<Instance>, Unresolved> {
        if let Some(attr) = block.body.get_attribute("for_each") {
            let at = start(attr.value.span());
            return match self.eval(f, &attr.value, &Instance::default(), depth + 1)? {
                Val::Obj(entries) => Ok(entries
                    .into_iter()
                    .map(|(k, v)| Instance {
                        suffix: format!("[{k:?}]"),
                        each: Some((Val::Str(SourceText::whole(&k, self.global(f, at))), v)),
                        count: None,
                    })
                    .collect()),
                Val::List(items) => items
                    .into_iter()
                    .map(|v| {
                        let key = v.text(self.global(f, at)).ok_or_else(|| {
                            self.unresolved(
                                f,
                                at,
                                "unsupported-expression",
                                "for_each over a set takes strings".into(),
                            )
                        })?;
                        Ok(Instance {
                            suffix: format!("[{:?}]", key.text),
                            each: Some((Val::Str(key), v)),
                            count: None,
                        })
                    })
                    .collect(),
                other => Err(self.unresolved(
                    f,
                    at,
                    "unsupported-expression",
                    format!("for_each is {}, not a map or a set", other.kind()),
                )),
            };
        }
        if let Some(attr) = block.body.get_attribute("count") {
            let at = start(attr.value.span());
            return match self.eval(f, &attr.value, &Instance::default(), depth + 1)? {
                Val::Num(n, _) if n >= 0.0 && n.fract() == 0.0 && n <= MAX_COUNT as f64 => {
                    let n = format!("{n}").parse::<usize>().unwrap_or(0);
                    Ok((0..n)
                        .map(|i| Instance {
                            suffix: format!("[{i}]"),
                            each: None,
                            count: Some(i),
                        })
                        .collect())
                }
                Val::Num(n, _) if n > MAX_COUNT as f64 && n.fract() == 0.0 => Err(self.unresolved(
                    f,
                    at,
                    "unsupported-expression",
                    format!(
                        "count is {n}: more than the {MAX_COUNT} instances a resource is read as"
                    ),
                )),
                other => Err(self.unresolved(
                    f,
                    at,
                    "unsupported-expression",
                    format!("count is {}, not a whole number", other.kind()),
                )),
            };
        }
        Ok(vec![Instance::default()])
    }

    fn attr(
        &self,
        f: usize,
        body: &Body,
        key: &str,
        instance: &Instance,
    ) -> Option<Result<(Val, usize), Unresolved>> {
        let attr = body.get_attribute(key)?;
        let at = start(attr.value.span());
        Some(self.eval(f, &attr.value, instance, 0).map(|v| (v, at)))
    }

    fn text_attr(
        &self,
        f: usize,
        body: &Body,
        key: &str,
        instance: &Instance,
    ) -> Option<Result<SourceText, Unresolved>> {
        Some(self.attr(f, body, key, instance)?.and_then(|(v, at)| {
            v.text(self.global(f, at)).ok_or_else(|| {
                self.unresolved(
                    f,
                    at,
                    "unsupported-expression",
                    format!("{key} is {}, not a string", v.kind()),
                )
            })
        }))
    }

    fn filter(
        &self,
        found: &mut Found,
        f: usize,
        block: &Block,
        instance: &Instance,
        address: &str,
    ) {
        let body = &block.body;
        let block_at = start(block.span());
        let pattern_at = body
            .get_attribute("pattern")
            .map_or(block_at, |a| start(a.value.span()));
        // The AWS provider sends `strings.TrimSpace(pattern)` to PutMetricFilter, so a heredoc's
        // indentation and final line break never reach AWS (which refuses blanks around braces).
        let pattern = match self.text_attr(f, body, "pattern", instance) {
            Some(Ok(p)) => p.trimmed(),
            Some(Err(e)) => {
                self.report(
                    found,
                    e,
                    &format!("{address}: pattern"),
                    Subject::Filter,
                    true,
                );
                // The metric, when it can be read (see `Problem::metric`).
                let metric = body
                    .get_blocks("metric_transformation")
                    .find_map(|t| {
                        self.transformation(f, &t.body, start(t.span()), instance)
                            .ok()
                    })
                    .map(|t| (t.metric_name, t.metric_namespace));
                if let Some(problem) = found.problems.last_mut() {
                    problem.metric = metric;
                }
                return;
            }
            None => {
                let e = self.unresolved(f, block_at, "invalid-resource", "no pattern".into());
                return self.report(found, e, address, Subject::Filter, true);
            }
        };
        let mut text_or_report = |key: &str| match self.text_attr(f, body, key, instance) {
            Some(Ok(t)) => Some(t.text),
            Some(Err(e)) => {
                self.report(
                    found,
                    e,
                    &format!("{address}: {key}"),
                    Subject::Filter,
                    key == "name",
                );
                None
            }
            None => None,
        };
        let filter_name = text_or_report("name").unwrap_or_else(|| address.to_owned());
        let log_group_name = text_or_report("log_group_name");
        let apply = matches!(
            self.attr(f, body, "apply_on_transformed_logs", instance),
            Some(Ok((Val::Bool(true), _)))
        );
        let mut transformations = Vec::new();
        let mut transformation_at = None;
        for t in body.get_blocks("metric_transformation") {
            let at = start(t.span());
            transformation_at.get_or_insert(at);
            match self.transformation(f, &t.body, at, instance) {
                Ok(t) => transformations.push(t),
                Err(e) => self.report(
                    found,
                    e,
                    &format!("{address}: metric_transformation"),
                    Subject::Filter,
                    true,
                ),
            }
        }
        // A `dynamic "metric_transformation"` block makes them from a collection: not expanded
        // here, and said so (it is no missing block).
        let dynamic = body
            .get_blocks("dynamic")
            .find(|d| d.labels.first().map(label) == Some("metric_transformation"));
        if let (None, Some(d)) = (transformation_at, dynamic) {
            let e = self.unresolved(
                f,
                start(d.span()),
                "unsupported-expression",
                "a dynamic metric_transformation block is not expanded: the filter is not read"
                    .into(),
            );
            self.report(found, e, address, Subject::Filter, true);
            return;
        }
        if transformation_at.is_none() {
            let e = self.unresolved(
                f,
                block_at,
                "invalid-resource",
                "no metric_transformation block".into(),
            );
            self.report(found, e, address, Subject::Filter, true);
        }
        let def = MetricFilterDef {
            filter_name,
            filter_pattern: pattern.text.clone(),
            log_group_name,
            metric_transformations: transformations,
            apply_on_transformed_logs: apply,
            creation_time: None,
            location: None,
        };
        let mut positions = self.positions(&pattern, f, pattern_at);
        positions.transformation = transformation_at.map(|at| self.location(f, at));
        // Where the first transformation's arguments are written, by their CloudFormation
        // names (what lint places a finding of a member at).
        if let Some(t) = body.get_blocks("metric_transformation").next() {
            for (argument, member) in [
                ("name", "MetricName"),
                ("namespace", "MetricNamespace"),
                ("value", "MetricValue"),
                ("default_value", "DefaultValue"),
                ("dimensions", "Dimensions"),
                ("unit", "Unit"),
            ] {
                if let Some(a) = t.body.get_attribute(argument) {
                    let at = self.location(f, start(a.value.span()));
                    positions.members.push((member.to_owned(), at));
                }
            }
        }
        found.add_filter(def, positions);
    }

    fn transformation(
        &self,
        f: usize,
        body: &Body,
        at: usize,
        instance: &Instance,
    ) -> Result<MetricTransformation, Unresolved> {
        let required = |key: &str| -> Result<String, Unresolved> {
            self.text_attr(f, body, key, instance)
                .unwrap_or_else(|| {
                    Err(self.unresolved(f, at, "invalid-resource", format!("{key} is missing")))
                })
                .map(|t| t.text)
        };
        let optional = |key: &str| self.text_attr(f, body, key, instance).transpose();
        let default_value = match optional("default_value")? {
            Some(t) => Some(trailmatch::number::parse(&t.text).ok_or_else(|| {
                let (file, at) = t.at.first().map_or((f, at), |&g| self.place(g));
                self.unresolved(
                    file,
                    at,
                    "invalid-resource",
                    format!("default_value '{}' is not a number", t.text),
                )
            })?),
            None => None,
        };
        let mut dimensions = BTreeMap::new();
        if let Some(result) = self.attr(f, body, "dimensions", instance) {
            let (value, at) = result?;
            let Val::Obj(entries) = value else {
                return Err(self.unresolved(
                    f,
                    at,
                    "unsupported-expression",
                    "dimensions must be a map".into(),
                ));
            };
            for (k, v) in entries {
                let v = v.text(self.global(f, at)).ok_or_else(|| {
                    self.unresolved(
                        f,
                        at,
                        "unsupported-expression",
                        format!("dimension {k} is not a string"),
                    )
                })?;
                dimensions.insert(k, v.text);
            }
        }
        Ok(MetricTransformation {
            metric_name: required("name")?,
            metric_namespace: required("namespace")?,
            metric_value: required("value")?,
            default_value,
            dimensions,
            unit: optional("unit")?.map(|t| t.text),
        })
    }

    fn alarm(
        &self,
        found: &mut Found,
        f: usize,
        at: usize,
        block: &Block,
        instance: &Instance,
        address: &str,
    ) {
        let body = &block.body;
        let mut out = Map::new();
        for (key, pascal) in ALARM_ATTRIBUTES {
            let Some(result) = self.attr(f, body, key, instance) else {
                continue;
            };
            match result {
                Ok((Val::Obj(entries), _)) if *key == "dimensions" => {
                    let list = entries
                        .iter()
                        .map(|(k, v)| {
                            let mut d = Map::new();
                            d.insert("Name".into(), Json::String(k.clone()));
                            d.insert("Value".into(), v.to_json());
                            Json::Object(d)
                        })
                        .collect();
                    out.insert((*pascal).into(), Json::Array(list));
                }
                Ok((v, _)) => {
                    out.insert((*pascal).into(), super::coerce(pascal, v.to_json()));
                }
                Err(e) => {
                    // As the CloudFormation reader does: an alarm whose unit or dimensions are
                    // not known watches no filter, and says so.
                    let incomplete =
                        matches!(*key, "metric_name" | "namespace" | "unit" | "dimensions");
                    if matches!(*key, "unit" | "dimensions") {
                        out.insert((*pascal).into(), Json::Null);
                    }
                    self.report(
                        found,
                        e,
                        &format!("{address}: {key}"),
                        Subject::Alarm,
                        incomplete,
                    );
                }
            }
        }
        if let Some(query) = body.get_blocks("metric_query").next() {
            found.problems.push(Problem {
                location: self.location(f, start(query.span())),
                code: "unsupported-property",
                message: format!(
                    "{address}: metric_query (metric math) is not read; the alarm is not attached to any filter"
                ),
                incomplete: true,
                metric: None,
                subject: Subject::Alarm,
            });
        }
        found.alarms.push(FoundAlarm {
            location: self.location(f, at),
            logical_name: address.to_owned(),
            properties: Json::Object(out),
        });
    }

    // ---- expressions ---------------------------------------------------------------------------

    fn eval(
        &self,
        f: usize,
        expr: &Expression,
        inst: &Instance,
        depth: usize,
    ) -> Result<Val, Unresolved> {
        let at = start(expr.span());
        let unsupported = |what: &str| {
            Err(self.unresolved(
                f,
                at,
                "unsupported-expression",
                format!("{what} is not evaluated"),
            ))
        };
        if depth > MAX_DEPTH {
            let mut e = self.unresolved(
                f,
                at,
                "unresolved-reference",
                "references nest too deep (a cycle?)".into(),
            );
            e.too_deep = true;
            return Err(e);
        }
        let Some(file) = self.files.get(f) else {
            return unsupported("an expression of an unknown file");
        };
        match expr {
            Expression::Null(_) => Ok(Val::Null),
            Expression::Bool(b) => Ok(Val::Bool(*b.value())),
            Expression::Number(n) => {
                let range = n.span().unwrap_or(at..at);
                let raw = file.text.get(range.clone()).unwrap_or_default();
                let value = n.value().as_f64().unwrap_or(f64::NAN);
                Ok(Val::Num(
                    value,
                    align(raw, file.text, range.start, range.end, Escapes::None).shifted(file.base),
                ))
            }
            Expression::String(s) => {
                let range = s.span().unwrap_or(at..at);
                let (from, to) = if file
                    .text
                    .get(range.clone())
                    .is_some_and(|r| r.starts_with('"'))
                {
                    (range.start + 1, range.end.saturating_sub(1))
                } else {
                    (range.start, range.end)
                };
                Ok(Val::Str(
                    align(s.value(), file.text, from, to, Escapes::Hcl).shifted(file.base),
                ))
            }
            Expression::StringTemplate(t) => self.template(f, t, Escapes::Hcl, inst, depth),
            Expression::HeredocTemplate(h) => {
                self.template(f, &h.template, Escapes::None, inst, depth)
            }
            Expression::Array(items) => Ok(Val::List(
                items
                    .iter()
                    .map(|e| self.eval(f, e, inst, depth + 1))
                    .collect::<Result<_, _>>()?,
            )),
            Expression::Object(object) => {
                let mut out = Vec::new();
                for (key, value) in object.iter() {
                    let key = match key {
                        ObjectKey::Ident(i) => i.value().as_str().to_owned(),
                        ObjectKey::Expression(e) => {
                            let k_at = start(e.span());
                            let v = self.eval(f, e, inst, depth + 1)?;
                            v.text(self.global(f, k_at))
                                .ok_or_else(|| {
                                    self.unresolved(
                                        f,
                                        k_at,
                                        "unsupported-expression",
                                        "object keys must be strings".into(),
                                    )
                                })?
                                .text
                        }
                    };
                    out.push((key, self.eval(f, value.expr(), inst, depth + 1)?));
                }
                Ok(Val::Obj(out))
            }
            Expression::Parenthesis(p) => self.eval(f, p.inner(), inst, depth + 1),
            Expression::Variable(v) => Err(self.unresolved(
                f,
                at,
                "unresolved-reference",
                format!("'{}' alone is not a value", v.value().as_str()),
            )),
            // Terraform converts the strings "true" and "false" where a bool is needed (a
            // variable `type = bool` with `default = "true"`, a value from a .tfvars file).
            Expression::Conditional(c) => match self.eval(f, &c.cond_expr, inst, depth + 1)? {
                Val::Bool(true) => self.eval(f, &c.true_expr, inst, depth + 1),
                Val::Bool(false) => self.eval(f, &c.false_expr, inst, depth + 1),
                Val::Str(t) if t.text == "true" => self.eval(f, &c.true_expr, inst, depth + 1),
                Val::Str(t) if t.text == "false" => self.eval(f, &c.false_expr, inst, depth + 1),
                other => Err(self.unresolved(
                    f,
                    start(c.cond_expr.span()),
                    "unsupported-expression",
                    format!("the condition is {}, not a bool", other.kind()),
                )),
            },
            Expression::FuncCall(call) => {
                let name = call.name.name.value().as_str();
                let args: Vec<&Expression> = call.args.iter().collect();
                match (name, args.as_slice(), call.name.namespace.is_empty()) {
                    ("toset" | "tolist" | "tomap" | "tostring", [arg], true) => {
                        self.eval(f, arg, inst, depth + 1)
                    }
                    ("jsonencode", [arg], true) => {
                        let value = self.eval(f, arg, inst, depth + 1)?;
                        Ok(Val::Str(events::json_encode(&value, self.global(f, at))))
                    }
                    _ => unsupported(&format!("the function {name}()")),
                }
            }
            Expression::UnaryOp(op) => {
                match (
                    op.operator.value(),
                    self.eval(f, &op.expr, inst, depth + 1)?,
                ) {
                    (UnaryOperator::Not, Val::Bool(b)) => Ok(Val::Bool(!b)),
                    (UnaryOperator::Neg, Val::Num(n, t)) => {
                        let mut text = SourceText::whole("-", self.global(f, at));
                        text.push(&t);
                        Ok(Val::Num(-n, text))
                    }
                    _ => unsupported("this operation"),
                }
            }
            Expression::BinaryOp(op) => {
                let lhs = self.eval(f, &op.lhs_expr, inst, depth + 1)?;
                let rhs = self.eval(f, &op.rhs_expr, inst, depth + 1)?;
                match (op.operator.value(), lhs, rhs) {
                    (BinaryOperator::And, Val::Bool(a), Val::Bool(b)) => Ok(Val::Bool(a && b)),
                    (BinaryOperator::Or, Val::Bool(a), Val::Bool(b)) => Ok(Val::Bool(a || b)),
                    (BinaryOperator::Eq, a, b) => Ok(Val::Bool(a.to_json() == b.to_json())),
                    (BinaryOperator::NotEq, a, b) => Ok(Val::Bool(a.to_json() != b.to_json())),
                    (o, ..) => unsupported(&format!("the operator {}", o.as_str())),
                }
            }
            Expression::Traversal(t) => self.traversal(f, &t.expr, &t.operators, inst, depth),
            Expression::ForExpr(_) => unsupported("a for expression"),
        }
    }

    fn template(
        &self,
        f: usize,
        template: &Template,
        escapes: Escapes,
        inst: &Instance,
        depth: usize,
    ) -> Result<Val, Unresolved> {
        let Some(file) = self.files.get(f) else {
            return Ok(Val::Str(SourceText::default()));
        };
        let mut out = SourceText::default();
        // Strip markers (`${~ …}`, `${… ~}`) drop the white space of the literal text right
        // before or after the interpolation: where in `out` the literal text just before starts
        // (`None` after an interpolation), and whether the next literal's is dropped.
        let mut literal_from: Option<usize> = None;
        let mut strip_next = false;
        for element in template.iter() {
            match element {
                Element::Literal(l) => {
                    let range = l.span().unwrap_or(0..0);
                    let mut piece = align(l.value(), file.text, range.start, range.end, escapes)
                        .shifted(file.base);
                    if strip_next {
                        piece = piece.trimmed_start();
                        strip_next = piece.text.is_empty();
                    }
                    literal_from.get_or_insert(out.text.len());
                    out.push(&piece);
                }
                Element::Interpolation(i) => {
                    if let Some(from) = literal_from.take().filter(|_| i.strip.strip_start()) {
                        out.trim_end_from(from);
                    }
                    strip_next = i.strip.strip_end();
                    let at = start(i.expr.span());
                    let v = self.eval(f, &i.expr, inst, depth + 1)?;
                    let text = v.text(self.global(f, at)).ok_or_else(|| {
                        self.unresolved(
                            f,
                            at,
                            "unsupported-expression",
                            format!("interpolating {} into a string", v.kind()),
                        )
                    })?;
                    out.push(&text);
                }
                Element::Directive(d) => {
                    return Err(self.unresolved(
                        f,
                        start(d.span()),
                        "unsupported-expression",
                        "template directives (%{…}) are not evaluated".into(),
                    ));
                }
            }
        }
        Ok(Val::Str(out))
    }

    fn traversal(
        &self,
        f: usize,
        root: &Expression,
        ops: &Ops,
        inst: &Instance,
        depth: usize,
    ) -> Result<Val, Unresolved> {
        let at = start(root.span());
        let attr = |i: usize| match ops.get(i).map(|o| o.value()) {
            Some(TraversalOperator::GetAttr(a)) => Some(a.value().as_str()),
            _ => None,
        };
        let missing = |what: String| Err(self.unresolved(f, at, "unresolved-reference", what));
        let Expression::Variable(v) = root else {
            let value = self.eval(f, root, inst, depth + 1)?;
            return self.apply(f, value, ops, inst, depth);
        };
        let rest = ops.get(1..).unwrap_or_default();
        match (v.value().as_str(), attr(0)) {
            ("var", Some(name)) => match self.variables.get(name) {
                Some(&(vf, Some(default))) => {
                    let cycle = format!("var.{name} refers to itself (a cycle)");
                    let cycle = self.unresolved(f, at, "unresolved-reference", cycle);
                    let kept = &self.variable_values;
                    let value = remember(kept, name.to_owned(), cycle, || {
                        let value = self.variable(vf, default, depth)?;
                        // A null argument gives a variable declared `nullable = false` its
                        // default; without one, Terraform refuses the call.
                        match (value, self.not_nullable.get(name)) {
                            (Val::Null, Some(&(df, Some(d)))) if self.outer.is_some() => {
                                self.variable(df, d, depth)
                            }
                            (Val::Null, Some((_, None))) if self.outer.is_some() => {
                                missing(format!(
                                    "var.{name} is declared nullable = false without a default, and \
                                 {} sets it to null: Terraform refuses the call",
                                    self.prefix.trim_end_matches('.')
                                ))
                            }
                            (value, _) => Ok(value),
                        }
                    })?;
                    self.apply(f, value, rest, inst, depth)
                }
                Some((_, None)) if self.outer.is_some() => missing(format!(
                    "var.{name} has no default and {} does not set it",
                    self.prefix.trim_end_matches('.')
                )),
                Some((_, None)) => missing(format!(
                    "var.{name} has no default and no value in a .tfvars file of the module, \
                     so its value is not in the configuration"
                )),
                None => missing(format!("no variable named {name}")),
            },
            ("local", Some(name)) => match self.locals.get(name) {
                Some(&(lf, expr)) => {
                    let value = self.local(name, lf, expr, depth)?;
                    self.apply(f, value, rest, inst, depth)
                }
                None => missing(format!("no local value named {name}")),
            },
            ("each", Some(which @ ("key" | "value"))) => match &inst.each {
                Some((key, value)) => {
                    let v = if which == "key" { key } else { value };
                    self.apply(f, v.clone(), rest, inst, depth)
                }
                None => missing("each is defined only in a resource with for_each".into()),
            },
            ("count", Some("index")) => match inst.count {
                Some(i) => Ok(Val::Num(
                    i as f64,
                    SourceText::whole(&i.to_string(), self.global(f, at)),
                )),
                None => missing("count.index is defined only in a resource with count".into()),
            },
            (FILTER, Some(name)) => self.filter_attribute(f, at, name, rest, inst, depth),
            ("module", Some(name)) => self.module_output(f, at, name, rest, inst, depth),
            (root, _) => missing(format!(
                "{root}.… is known only when Terraform runs (plan or apply)"
            )),
        }
    }

    /// The value of `local.NAME`, the expression `expr` of file `f`, read once: it is the same
    /// wherever it is used (locals that each use the next twice cost their number, not two to
    /// its power), and a local met again while it is read is a cycle.
    fn local(
        &self,
        name: &str,
        f: usize,
        expr: &Expression,
        depth: usize,
    ) -> Result<Val, Unresolved> {
        let cycle = format!("local.{name} refers to itself (a cycle)");
        let cycle = self.unresolved(f, start(expr.span()), "unresolved-reference", cycle);
        remember(&self.local_values, name.to_owned(), cycle, || {
            self.eval(f, expr, &Instance::default(), depth + 1)
        })
    }

    /// A variable's value given by `default`, an expression of file `f` (or the caller's file
    /// for an argument).
    fn variable(&self, f: usize, default: Default<'_>, depth: usize) -> Result<Val, Unresolved> {
        match default {
            Default::Hcl(expr) => self.eval(f, expr, &Instance::default(), depth + 1),
            Default::Json(value) => Ok(value.clone()),
            Default::Argument(expr, instance) => match self.outer {
                Some(caller) => caller.eval(f, expr, instance, depth + 1),
                None => Err(self.unresolved(
                    f,
                    start(expr.span()),
                    "unresolved-reference",
                    "an argument of a module call read without its caller".into(),
                )),
            },
        }
    }

    /// Applies attribute and index operators to a value.
    fn apply(
        &self,
        f: usize,
        mut value: Val,
        ops: &Ops,
        inst: &Instance,
        depth: usize,
    ) -> Result<Val, Unresolved> {
        for op in ops {
            let at = start(op.span());
            let key = match op.value() {
                TraversalOperator::GetAttr(a) => {
                    Val::Str(SourceText::whole(a.value().as_str(), self.global(f, at)))
                }
                TraversalOperator::Index(e) => self.eval(f, e, inst, depth + 1)?,
                TraversalOperator::LegacyIndex(n) => Val::Num(
                    *n.value() as f64,
                    SourceText::whole(&n.value().to_string(), self.global(f, at)),
                ),
                _ => {
                    return Err(self.unresolved(
                        f,
                        at,
                        "unsupported-expression",
                        "splat expressions are not evaluated".into(),
                    ));
                }
            };
            value = match (value, &key) {
                (Val::Obj(entries), Val::Str(k)) => entries
                    .into_iter()
                    .rev()
                    .find(|(name, _)| *name == k.text)
                    .map(|(_, v)| v),
                (Val::List(items), Val::Num(n, _)) if *n >= 0.0 && n.fract() == 0.0 => {
                    format!("{n}")
                        .parse::<usize>()
                        .ok()
                        .and_then(|i| items.into_iter().nth(i))
                }
                _ => None,
            }
            .ok_or_else(|| {
                self.unresolved(
                    f,
                    at,
                    "unresolved-reference",
                    format!(
                        "no element {} here",
                        key.text(self.global(f, at))
                            .map_or_else(|| key.kind().to_owned(), |t| t.text)
                    ),
                )
            })?;
        }
        Ok(value)
    }

    /// `aws_cloudwatch_log_metric_filter.NAME[key].attribute…` from the filter's own
    /// configuration.
    fn filter_attribute(
        &self,
        f: usize,
        at: usize,
        name: &str,
        ops: &Ops,
        inst: &Instance,
        depth: usize,
    ) -> Result<Val, Unresolved> {
        let missing = |what: String| Err(self.unresolved(f, at, "unresolved-reference", what));
        let Some(&(rf, block)) = self.resources.iter().find(|(_, b)| {
            b.labels.first().map(label) == Some(FILTER) && b.labels.get(1).map(label) == Some(name)
        }) else {
            return missing(format!("no {FILTER} named {name}"));
        };
        let instances = self.instances_at(rf, block, depth + 1)?;
        let by_key = |key: &str| {
            instances
                .iter()
                .find(|i| instance_key(i).is_some_and(|k| k == key))
        };
        let what = format!("{FILTER}.{name}");
        let (target, ops) =
            self.named_instance((f, at), &what, &instances, by_key, ops, (inst, depth))?;
        let attribute = match ops.first().map(|o| o.value()) {
            Some(TraversalOperator::GetAttr(a)) => a.value().as_str(),
            _ => return missing(format!("{FILTER}.{name}: name an attribute")),
        };
        let rest = ops.get(1..).unwrap_or_default();
        let attribute = if attribute == "id" { "name" } else { attribute };
        if let Some(attr) = block.body.get_attribute(attribute) {
            let value = self.eval(rf, &attr.value, target, depth + 1)?;
            return self.apply(f, value, rest, inst, depth);
        }
        // A nested block: `metric_transformation[0].name`.
        let blocks: Vec<&Block> = block.body.get_blocks(attribute).collect();
        if blocks.is_empty() {
            return missing(format!(
                "{FILTER}.{name}.{attribute} is not set in the configuration"
            ));
        }
        let (index, rest) = match rest.first().map(|o| o.value()) {
            Some(TraversalOperator::Index(e)) => (
                self.eval(f, e, inst, depth + 1)?,
                rest.get(1..).unwrap_or_default(),
            ),
            Some(TraversalOperator::LegacyIndex(n)) => (
                Val::Num(*n.value() as f64, SourceText::default()),
                rest.get(1..).unwrap_or_default(),
            ),
            _ => (Val::Num(0.0, SourceText::default()), rest),
        };
        let nested = match index {
            Val::Num(n, _) if n >= 0.0 && n.fract() == 0.0 => format!("{n}")
                .parse::<usize>()
                .ok()
                .and_then(|i| blocks.get(i).copied()),
            _ => None,
        };
        let Some(nested) = nested else {
            return missing(format!("{FILTER}.{name}.{attribute}: no such block"));
        };
        let Some(TraversalOperator::GetAttr(inner)) = rest.first().map(|o| o.value()) else {
            return missing(format!("{FILTER}.{name}.{attribute}[…]: name an attribute"));
        };
        let Some(attr) = nested.body.get_attribute(inner.value().as_str()) else {
            return missing(format!(
                "{FILTER}.{name}.{attribute}[…].{} is not set",
                inner.value().as_str()
            ));
        };
        let value = self.eval(rf, &attr.value, target, depth + 1)?;
        self.apply(f, value, rest.get(1..).unwrap_or_default(), inst, depth)
    }
}

/// Terraform's alarm arguments and the `PutMetricAlarm` members they set.
const ALARM_ATTRIBUTES: &[(&str, &str)] = &[
    ("alarm_name", "AlarmName"),
    ("alarm_description", "AlarmDescription"),
    ("actions_enabled", "ActionsEnabled"),
    ("alarm_actions", "AlarmActions"),
    ("ok_actions", "OKActions"),
    ("insufficient_data_actions", "InsufficientDataActions"),
    ("metric_name", "MetricName"),
    ("namespace", "Namespace"),
    ("statistic", "Statistic"),
    ("extended_statistic", "ExtendedStatistic"),
    ("dimensions", "Dimensions"),
    ("period", "Period"),
    ("unit", "Unit"),
    ("evaluation_periods", "EvaluationPeriods"),
    ("datapoints_to_alarm", "DatapointsToAlarm"),
    ("threshold", "Threshold"),
    ("comparison_operator", "ComparisonOperator"),
    ("treat_missing_data", "TreatMissingData"),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// A loader of the modules `modules` (the last name of a directory, and the text of its
    /// `main.tf`), each read as `/m/NAME`; a directory of another name cannot be read.
    fn modules_named<N: Into<String>, T: Into<String>>(
        modules: impl IntoIterator<Item = (N, T)>,
    ) -> impl Fn(&Path) -> Result<ModuleFiles, String> + Sync {
        let modules: BTreeMap<String, String> = modules
            .into_iter()
            .map(|(name, text)| (name.into(), text.into()))
            .collect();
        move |dir: &Path| {
            let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            match modules.get(name) {
                Some(text) => Ok((
                    PathBuf::from("/m").join(name),
                    vec![(format!("/m/{name}/main.tf"), text.clone())],
                )),
                None => Err(format!(
                    "cannot read the directory {}: not found",
                    dir.display()
                )),
            }
        }
    }

    const MAIN: &str = r#"
locals {
  controls = {
    RootUsage = {
      pattern     = "{ $.userIdentity.type = \"Root\" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != \"AwsServiceEvent\" }"
      description = "root"
    }
    NoMFAConsoleSignin = {
      pattern = <<-EOT
        { ($.eventName = "ConsoleLogin") &&
          ($.additionalEventData.MFAUsed != "Yes") }
      EOT
      description = "mfa"
    }
  }
}

resource "aws_cloudwatch_log_metric_filter" "this" {
  for_each       = var.create ? local.controls : {}
  name           = each.key
  pattern        = each.value.pattern
  log_group_name = var.log_group_name

  metric_transformation {
    name       = each.key
    namespace  = var.namespace
    value      = 1
    dimensions = { Env = "$.env" }
  }
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each            = local.controls
  alarm_name          = "${each.key}-alarm"
  metric_name         = aws_cloudwatch_log_metric_filter.this[each.key].metric_transformation[0].name
  namespace           = var.namespace
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = "1"
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  alarm_actions       = [var.sns_topic_arn]
  dimensions          = { Env = "prod" }
}
"#;

    const VARIABLES: &str = r#"
variable "create" {
  type    = bool
  default = true
}
variable "namespace" {
  default = "CISBenchmark"
}
variable "log_group_name" {
  type = string
}
variable "sns_topic_arn" {}
"#;

    /// A `dynamic "metric_transformation"` block is said not expanded (it was a false "no
    /// metric_transformation block" error), and the strings "true" and "false" decide a
    /// condition as Terraform converts them.
    #[test]
    fn dynamic_transformations_and_bool_strings() {
        let tf = "resource \"aws_cloudwatch_log_metric_filter\" \"d\" {\n  name = \"d\"\n  pattern = \"x\"\n  log_group_name = \"lg\"\n  dynamic \"metric_transformation\" {\n    for_each = [\"m\"]\n    content {\n      name = metric_transformation.value\n      namespace = \"n\"\n      value = \"1\"\n    }\n  }\n}\n";
        let found = read("d.tf", tf);
        assert!(found.filters.is_empty());
        let p = &found.problems[0];
        assert_eq!(
            (p.code, p.incomplete, p.location.line),
            ("unsupported-expression", true, 5)
        );
        assert!(
            p.message
                .contains("a dynamic metric_transformation block is not expanded"),
            "{p}"
        );
        let counted = |default: &str| {
            let tf = format!(
                "variable \"on\" {{\n  type = bool\n  default = {default}\n}}\nresource \"aws_cloudwatch_log_metric_filter\" \"c\" {{\n  count = var.on ? 1 : 0\n  name = \"c\"\n  pattern = \"x\"\n  log_group_name = \"lg\"\n  metric_transformation {{\n    name = \"m\"\n    namespace = \"n\"\n    value = \"1\"\n  }}\n}}\n"
            );
            let found = read("c.tf", &tf);
            assert!(found.problems.is_empty(), "{default}: {:?}", found.problems);
            found.filters.len()
        };
        assert_eq!(
            [counted("true"), counted("\"true\""), counted("\"false\"")],
            [1, 1, 0]
        );
    }

    /// Terraform refuses a resource defined twice, and merges an override file's block into
    /// the definition: neither is read here, and each is said (read as written, the definition
    /// of an overridden filter could cover a CIS control its override does not).
    #[test]
    fn duplicate_and_overridden_resources_are_said_not_read() {
        let filter = |pattern: &str| {
            format!(
                "resource \"aws_cloudwatch_log_metric_filter\" \"trail\" {{\n  name = \"t\"\n  pattern = \"{pattern}\"\n  log_group_name = \"lg\"\n  metric_transformation {{\n    name = \"m\"\n    namespace = \"n\"\n    value = \"1\"\n  }}\n}}\n"
            )
        };
        let other = "resource \"aws_cloudwatch_log_metric_filter\" \"other\" {\n  name = \"o\"\n  pattern = \"x\"\n  log_group_name = \"lg\"\n  metric_transformation {\n    name = \"m\"\n    namespace = \"n\"\n    value = \"1\"\n  }\n}\n";
        let problems = |found: &Found| -> Vec<(String, &'static str, bool)> {
            found
                .problems
                .iter()
                .map(|p| (p.to_string(), p.code, p.incomplete))
                .collect()
        };
        let overridden = read_module(&[
            (
                "main.tf".into(),
                format!("{}{other}", filter("CreateTrail")),
            ),
            (
                "main_override.tf".into(),
                "resource \"aws_cloudwatch_log_metric_filter\" \"trail\" {\n  pattern = \"x\"\n}\n"
                    .into(),
            ),
        ]);
        let names: Vec<&str> = overridden
            .filters
            .iter()
            .map(|f| f.filter_name.as_str())
            .collect();
        assert_eq!(names, ["o"]);
        assert_eq!(
            problems(&overridden),
            [(
                "main.tf:1:1: aws_cloudwatch_log_metric_filter.trail: overridden at \
                 main_override.tf:1:1 (override files are not merged here); not read"
                    .to_owned(),
                "unsupported-expression",
                true
            )]
        );
        let twice = read_module(&[
            ("main.tf".into(), filter("CreateTrail")),
            ("other.tf".into(), filter("DeleteTrail")),
        ]);
        assert!(twice.filters.is_empty());
        let said = problems(&twice);
        assert_eq!(said.len(), 2, "{said:?}");
        assert_eq!(
            said[0],
            (
                "main.tf:1:1: aws_cloudwatch_log_metric_filter.trail: defined again at \
                 other.tf:1:1 (Terraform refuses a duplicate resource); not read"
                    .to_owned(),
                "invalid-resource",
                true
            )
        );
        let stray = read_module(&[("x_override.tf".into(), filter("CreateTrail"))]);
        assert!(stray.filters.is_empty());
        assert_eq!(stray.problems[0].code, "invalid-resource");
        assert!(
            stray.problems[0]
                .message
                .contains("an override of a resource no other file")
        );
    }

    #[test]
    fn a_module_with_for_each_locals_and_heredocs() {
        let found = read_module(&[
            ("main.tf".into(), MAIN.into()),
            ("variables.tf".into(), VARIABLES.into()),
        ]);
        let names: Vec<&str> = found
            .filters
            .iter()
            .map(|f| f.filter_name.as_str())
            .collect();
        assert_eq!(names, ["RootUsage", "NoMFAConsoleSignin"]);
        let root = &found.filters[0];
        assert_eq!(
            root.filter_pattern,
            r#"{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }"#
        );
        assert_eq!(root.location.as_ref().unwrap().to_string(), "main.tf:5:22");
        let mfa = &found.filters[1];
        assert_eq!(
            mfa.filter_pattern,
            "{ ($.eventName = \"ConsoleLogin\") &&\n  ($.additionalEventData.MFAUsed != \"Yes\") }",
            "trimmed as the AWS provider trims it: no final line break"
        );
        // The heredoc's second line, after its indentation.
        let at = mfa.filter_pattern.find("($.add").unwrap();
        assert_eq!(found.positions[1].locate(at).to_string(), "main.tf:11:11");
        assert_eq!(
            mfa.metric_transformations[0].metric_namespace,
            "CISBenchmark"
        );
        assert_eq!(found.alarms.len(), 2);
        let alarm = &found.alarms[1];
        assert_eq!(
            alarm.logical_name,
            r#"aws_cloudwatch_metric_alarm.this["NoMFAConsoleSignin"]"#
        );
        assert_eq!(alarm.properties["AlarmName"], "NoMFAConsoleSignin-alarm");
        assert_eq!(alarm.properties["EvaluationPeriods"], 1);
        assert_eq!(
            alarm.properties["Dimensions"],
            serde_json::json!([{"Name": "Env", "Value": "prod"}])
        );
        assert_eq!(alarm.metric(), Some(("NoMFAConsoleSignin", "CISBenchmark")));
        assert_eq!(found.alarms_of(1).len(), 1);
        // Without the filter's dimension, the alarm watches another series.
        let mut undimensioned = found.clone();
        undimensioned.filters[1].metric_transformations[0]
            .dimensions
            .clear();
        assert!(undimensioned.alarms_of(1).is_empty());
        // log_group_name and sns_topic_arn have no default: reported, never guessed.
        let problems: Vec<(&str, String)> = found
            .problems
            .iter()
            .map(|p| (p.code, p.location.to_string()))
            .collect();
        assert_eq!(
            problems,
            [
                ("unresolved-reference", "main.tf:22:20".to_owned()),
                ("unresolved-reference", "main.tf:22:20".to_owned()),
                ("unresolved-reference", "main.tf:42:26".to_owned()),
                ("unresolved-reference", "main.tf:42:26".to_owned()),
            ]
        );
        assert!(found.problems.iter().all(|p| !p.incomplete));
    }

    #[test]
    fn escapes_count_and_syntax_errors() {
        let tf = "resource \"aws_cloudwatch_log_metric_filter\" \"x\" {\n  count = 2\n  name = \"f${count.index}\"\n  pattern = \"{ $.a = \\\"\\u00e9\\\" || $.b = %(x)% }\"\n  metric_transformation {\n    name = \"m\"\n    namespace = \"n\"\n    value = \"$.a\"\n  }\n}\n";
        let found = read("x.tf", tf);
        assert!(found.problems.is_empty(), "{:?}", found.problems);
        assert_eq!(found.filters.len(), 2);
        assert_eq!(found.filters[1].filter_name, "f1");
        let p = &found.filters[0].filter_pattern;
        assert_eq!(p, "{ $.a = \"é\" || $.b = %(x)% }");
        let paren = p.find('(').unwrap();
        let line = tf.lines().nth(3).unwrap();
        let loc = found.positions[0].locate(paren);
        assert_eq!(
            line.chars().nth(loc.column as usize - 1),
            Some('('),
            "{loc}"
        );
        let broken = read("b.tf", "resource \"x\" {\n  a = \n}\n");
        assert_eq!(broken.problems[0].code, "syntax");
        assert_eq!(broken.problems[0].location.line, 2);
        // A byte order mark before it all is skipped, as Terraform skips it: the same filters,
        // at the same places.
        let marked = read("x.tf", &format!("\u{feff}{tf}"));
        assert!(marked.problems.is_empty(), "{:?}", marked.problems);
        assert_eq!(marked.filters, found.filters);
        assert_eq!(marked.positions[0].locate(paren), loc);
    }

    /// Issue 19, point 10: a `count` over the cap says so, not "not a whole number".
    /// Strip markers drop the white space of the literal text next to them, as Terraform
    /// does, and never a value's own.
    #[test]
    fn strip_markers_drop_white_space_next_to_them() {
        let tf = "variable \"name\" {\n  default = \"ConsoleLogin\"\n}\nvariable \"padded\" {\n  default = \" x \"\n}\nresource \"aws_cloudwatch_log_metric_filter\" \"x\" {\n  name = \"f\"\n  log_group_name = \"g\"\n  pattern = \"{ ($.eventName = \\\"  ${~ var.name ~}\t \\\") || ($.b = \\\"${var.padded}${~ var.name}\\\") || $.c = \\\"${var.name ~}   \\\" }\"\n  metric_transformation {\n    name = \"m\"\n    namespace = \"n\"\n    value = \"1\"\n  }\n}\n";
        let found = read("x.tf", tf);
        assert!(found.problems.is_empty(), "{:?}", found.problems);
        let p = &found.filters[0].filter_pattern;
        assert_eq!(
            p,
            "{ ($.eventName = \"ConsoleLogin\") || ($.b = \" x ConsoleLogin\") || $.c = \"ConsoleLogin\" }"
        );
        // The quote after the stripped blanks is still located where it is written.
        let quote = p.find("\")").unwrap();
        let loc = found.positions[0].locate(quote);
        let line = tf.lines().nth(9).unwrap();
        let column = line.find("\\\") ||").unwrap() + 1;
        assert_eq!((loc.line, loc.column as usize), (10, column));
    }

    /// Values files set variables over their defaults, each over those before it, and a
    /// value that is not a value is refused where it is.
    #[test]
    fn values_files_set_variables_in_the_order_given() {
        let main = "variable \"name\" {\n  default = \"Default\"\n}\nvariable \"group\" {}\nvariable \"source\" {}\nresource \"aws_cloudwatch_log_metric_filter\" \"x\" {\n  name = \"f\"\n  log_group_name = var.group\n  pattern = \"{ $.eventName = ${var.name} && $.eventSource = ${var.source} }\"\n  metric_transformation {\n    name = \"m\"\n    namespace = \"n\"\n    value = \"1\"\n  }\n}\n";
        let files = |values: &[(&str, &str)]| {
            let mut files = vec![("m/main.tf".to_owned(), main.to_owned())];
            files.extend(
                values
                    .iter()
                    .map(|(n, t)| (format!("m/{n}"), t.to_string())),
            );
            files
        };
        let found = read_module(&files(&[
            (
                "terraform.tfvars",
                "name = \"FromTfvars\"\ngroup = \"hcl\"\nundeclared = 1\n",
            ),
            ("terraform.tfvars.json", "{\"group\": \"json\"}\n"),
            (
                "a.auto.tfvars.json",
                "{\"name\": \"FromA\", \"source\": \"s3.amazonaws.com\"}",
            ),
            ("b.auto.tfvars", "name = \"FromB\"\n"),
        ]));
        assert!(found.problems.is_empty(), "{:?}", found.problems);
        let filter = &found.filters[0];
        assert_eq!(
            filter.filter_pattern,
            "{ $.eventName = FromB && $.eventSource = s3.amazonaws.com }"
        );
        assert_eq!(filter.log_group_name.as_deref(), Some("json"));
        // Positions point into the values file that gave the value.
        let at = filter.filter_pattern.find("s3.").unwrap();
        let loc = found.positions[0].locate(at);
        assert_eq!(
            (loc.file.as_str(), loc.line, loc.column),
            ("m/a.auto.tfvars.json", 1, 30)
        );
        // JSON strings are taken as written (no templates), escapes decoded, and located.
        let json = "\n{\n  \"group\": \"g\",\n  \"source\": \"a\\/$${x}\",\n  \"name\": \"${b} %{c} \\u00e9\"\n}\n";
        let found = read_module(&files(&[("terraform.tfvars.json", json)]));
        assert!(found.problems.is_empty(), "{:?}", found.problems);
        let pattern = &found.filters[0].filter_pattern;
        assert_eq!(
            pattern,
            "{ $.eventName = ${b} %{c} é && $.eventSource = a/$${x} }"
        );
        let loc = found.positions[0].locate(pattern.find('é').unwrap());
        assert_eq!((loc.line, loc.column), (5, 22));
        // References and calls are refused where they are; the default stays.
        let found = read_module(&files(&[(
            "terraform.tfvars",
            "group = \"g\"\nsource = [\"s\"][0]\nname = upper(\"x\")\n",
        )]));
        assert!(
            found.filters[0]
                .filter_pattern
                .contains("= Default && $.eventSource = s }")
        );
        assert_eq!(found.problems.len(), 1, "{:?}", found.problems);
        let p = &found.problems[0];
        assert_eq!(
            (p.code, p.location.line, p.location.column),
            ("syntax", 3, 8)
        );
        assert!(p.message.contains("function call (upper())"), "{p}");
        let found = read_module(&files(&[(
            "terraform.tfvars",
            "name = var.x\nlocals {\n}\n",
        )]));
        assert_eq!(found.problems[0].location.line, 2, "{:?}", found.problems);
        assert!(found.problems[0].message.contains("not blocks"));
        // Without values, a variable without a default is unresolved, and says where to look.
        let found = read_module(&files(&[]));
        assert!(found.filters.is_empty());
        assert!(
            found.problems[0]
                .message
                .contains("no value in a .tfvars file")
        );
        // Valid JSON that is not an object, invalid JSON and a name given twice, at their place.
        let problem = |json: &str| {
            let found = read_module(&files(&[("terraform.tfvars.json", json)]));
            let p = found.problems[0].clone();
            (p.location.line, p.location.column, p.message)
        };
        let (line, _, message) = problem("[1]");
        assert!(
            line == 1 && message.contains("one JSON object"),
            "{message}"
        );
        let (line, column, message) = problem("{\n  \"n\": \"é\", }");
        assert_eq!((line, column), (2, 13), "{message}");
        assert!(
            message.starts_with("invalid JSON") && !message.contains("column"),
            "{message}"
        );
        let (line, column, message) = problem("{\"name\": \"a\",\n \"name\": \"b\"}");
        assert_eq!((line, column), (2, 10));
        assert!(message.contains("given twice"), "{message}");
        let (line, column, message) = problem("{\"m\": {\"k\": 1,\n \"k\": 2}}");
        assert_eq!((line, column), (2, 7));
        assert!(message.contains("attribute k is given twice"), "{message}");
        let (line, column, message) = problem("{\"m\":\n [\"\\udc00\"]}");
        assert_eq!((line, column), (2, 3));
        assert!(!message.contains("line 1"), "{message}");
        let deep = format!("{{\"m\": {}1{}}}", "[".repeat(20_000), "]".repeat(20_000));
        let (_, _, message) = problem(&deep);
        assert!(message.contains("more than 128"), "{message}");
        // A null value leaves a variable declared `nullable = false` its default.
        let not_nullable = main.replace(
            "default = \"Default\"\n",
            "default = \"Default\"\n  nullable = false\n",
        );
        for (nullable, pattern) in [(main, "= null &&"), (not_nullable.as_str(), "= Default &&")] {
            let found = read_module(&[
                ("m/main.tf".to_owned(), nullable.to_owned()),
                (
                    "m/terraform.tfvars".to_owned(),
                    "name = \"Earlier\"".to_owned(),
                ),
                (
                    "m/terraform.tfvars.json".to_owned(),
                    "{\"name\": null, \"group\": \"g\", \"source\": \"s\"}".to_owned(),
                ),
            ]);
            let got: Vec<&str> = found
                .filters
                .iter()
                .map(|f| &f.filter_pattern[..])
                .collect();
            assert!(
                got.first().is_some_and(|p| p.contains(pattern))
                    || (pattern == "= null &&" && got.is_empty()),
                "{got:?} {:?}",
                found.problems
            );
        }
    }

    /// A pattern's characters are located in the file that wrote them, whichever file of the
    /// module that is, and so is an invalid value read from a variable.
    #[test]
    fn values_from_other_files_are_located_there() {
        let main = "resource \"aws_cloudwatch_log_metric_filter\" \"x\" {\n  name = \"f\"\n  log_group_name = \"g\"\n  pattern = \"{ ${var.p} }\"\n  metric_transformation {\n    name = \"m\"\n    namespace = \"n\"\n    value = \"1\"\n    default_value = var.d\n  }\n}\n";
        let variables = "\n\nvariable \"p\" {\n  default = \"$.a = 1 && $.b = %x\"\n}\nvariable \"d\" {\n  default = \"one\"\n}\n";
        let found = read_module(&[
            ("main.tf".into(), main.into()),
            ("variables.tf".into(), variables.into()),
        ]);
        assert_eq!(found.problems.len(), 1, "{:?}", found.problems);
        let p = &found.problems[0];
        assert_eq!(
            (p.location.file.as_str(), p.location.line, p.location.column),
            ("variables.tf", 7, 14)
        );
        let found = read_module(&[
            ("main.tf".into(), main.replace("default_value = var.d", "")),
            ("variables.tf".into(), variables.into()),
        ]);
        let pattern = &found.filters[0].filter_pattern;
        let at = |i: usize| {
            let l = found.positions[0].locate(i);
            (l.file, l.line, l.column)
        };
        assert_eq!(at(0), ("main.tf".into(), 4, 14));
        assert_eq!(
            at(pattern.find('%').unwrap()),
            ("variables.tf".into(), 4, 31)
        );
        assert_eq!(at(pattern.len() - 1), ("main.tf".into(), 4, 25));
    }

    /// A `module` call with a local source is read as Terraform plans it: the module's
    /// variables set by the call's arguments (evaluated in the caller), once per instance,
    /// its resources addressed under the call, what the caller wrote located in the caller.
    /// Instances multiply through module calls (`count = 3000` called `count = 10000` times):
    /// a configuration is read as at most MAX_INSTANCES filters and alarms, the rest said once,
    /// where the count passes it.
    #[test]
    fn instances_are_read_up_to_a_total() {
        let child = "resource \"aws_cloudwatch_log_metric_filter\" \"f\" {\n  count = 3000\n  name = \"f\"\n  log_group_name = \"lg\"\n  pattern = \"x\"\n  metric_transformation {\n    name = \"m\"\n    namespace = \"n\"\n    value = \"1\"\n  }\n}\n";
        let load = modules_named([("m", child)]);
        let root = "module \"m\" {\n  source = \"../m/m\"\n  count = 10000\n}\n";
        let found = read_module_with(&[("root/main.tf".into(), root.into())], &load);
        assert_eq!(found.filters.len(), MAX_INSTANCES);
        let capped: Vec<&Problem> = found
            .problems
            .iter()
            .filter(|p| {
                p.message
                    .contains("metric filters and alarms: this instance and the rest")
            })
            .collect();
        assert_eq!(capped.len(), 1, "{:?}", found.problems.first());
        assert!(
            capped[0]
                .message
                .starts_with("module.m[33].aws_cloudwatch_log_metric_filter.f[1000]: "),
            "{}",
            capped[0]
        );
    }

    #[test]
    fn module_calls_are_read_with_their_arguments() {
        let child = "variable \"pattern\" {}\nvariable \"group\" {\n  default = \"trail\"\n}\nresource \"aws_cloudwatch_log_metric_filter\" \"f\" {\n  name = \"f-${var.group}\"\n  log_group_name = var.group\n  pattern = var.pattern\n  metric_transformation {\n    name = \"m\"\n    namespace = \"n\"\n    value = \"1\"\n  }\n}\n";
        let modules = [("cis", child)];
        let load = modules_named(modules);
        let root = "locals {\n  g = \"audit\"\n}\nmodule \"cis\" {\n  source = \"../m/cis\"\n  pattern = \"{ $.errorCode = %x }\"\n  group = local.g\n}\nmodule \"each\" {\n  for_each = toset([\"a\", \"b\"])\n  source = \"../m/cis\"\n  pattern = \"{ $.x = \\\"${each.key}\\\" }\"\n}\nmodule \"none\" {\n  count = 0\n  source = \"../m/cis\"\n  pattern = \"x\"\n}\n";
        let found = read_module_with(&[("root/main.tf".into(), root.into())], &load);
        let filters: Vec<(&str, &str, &str)> = found
            .filters
            .iter()
            .map(|f| {
                let group = f.log_group_name.as_deref().unwrap_or_default();
                (f.filter_name.as_str(), group, f.filter_pattern.as_str())
            })
            .collect();
        assert_eq!(
            filters,
            [
                ("f-audit", "audit", "{ $.errorCode = %x }"),
                ("f-trail", "trail", "{ $.x = \"a\" }"),
                ("f-trail", "trail", "{ $.x = \"b\" }"),
            ]
        );
        // The pattern is the caller's: its characters are located in the caller's file.
        let at = |i: usize| {
            let l = found.positions[0].locate(i);
            (l.file, l.line, l.column)
        };
        assert_eq!(at(0), ("root/main.tf".into(), 6, 14));
        assert_eq!(at(16), ("root/main.tf".into(), 6, 30));
        assert!(found.problems.is_empty(), "{:?}", found.problems);

        // What a call cannot give: a required variable left out, an argument the module does
        // not declare, an argument that cannot be evaluated, a source that is not local, a
        // directory that is not there, a module that calls itself.
        let root = "module \"a\" {\n  source = \"../m/cis\"\n  extra = 1\n}\nmodule \"b\" {\n  source = \"../m/cis\"\n  pattern = data.x.y\n}\nmodule \"c\" {\n  source = \"terraform-aws-modules/cloudwatch/aws\"\n}\nmodule \"d\" {\n  source = \"./gone\"\n}\n";
        let found = read_module_with(&[("root/main.tf".into(), root.into())], &load);
        let problems: Vec<(&str, u32, &str)> = found
            .problems
            .iter()
            .map(|p| (p.code, p.location.line, p.message.as_str()))
            .collect();
        assert_eq!(
            problems,
            [
                (
                    "unresolved-reference",
                    8,
                    "module.a.aws_cloudwatch_log_metric_filter.f: pattern: var.pattern has no default and module.a does not set it"
                ),
                (
                    "unresolved-reference",
                    7,
                    "module.b.aws_cloudwatch_log_metric_filter.f: pattern: data.… is known only when Terraform runs (plan or apply)"
                ),
                (
                    UNKNOWN_ARGUMENT,
                    3,
                    "module.a: the module declares no variable \"extra\", so Terraform refuses the argument"
                ),
                (
                    MISSING_ARGUMENT,
                    1,
                    "module.a: the module's variable \"pattern\" has no default, and the call does not set it: Terraform refuses the call"
                ),
                (
                    MODULE_NOT_READ,
                    10,
                    "module.c: the source \"terraform-aws-modules/cloudwatch/aws\" is not a local directory (./ or ../): the module's resources are not read"
                ),
                (
                    MODULE_NOT_READ,
                    13,
                    "module.d: cannot read the directory root/gone: not found"
                ),
            ]
        );
        assert_eq!(found.problems[0].location.file, "/m/cis/main.tf");
        assert_eq!(found.problems[1].location.file, "root/main.tf");

        let looping = "variable \"pattern\" {}\nmodule \"again\" {\n  source = \"../../m/cis\"\n  pattern = \"x\"\n}\n";
        let modules = [("cis", looping)];
        let load = modules_named(modules);
        let found = read_module_with(&[("root/main.tf".into(), looping.into())], &load);
        let problems: Vec<(&str, &str)> = found
            .problems
            .iter()
            .map(|p| (p.code, p.message.as_str()))
            .collect();
        assert_eq!(
            problems,
            [(
                MODULE_NOT_READ,
                "module.again.module.again: /m/cis calls itself: the module is not read again"
            )]
        );
    }

    /// `module.NAME[KEY].OUTPUT` is the output's value, evaluated in the module for that
    /// instance of the call, placed at the reference; a `count` or `for_each` error on a call
    /// is located at its expression.
    #[test]
    fn module_outputs_are_read() {
        let child = "variable \"group\" {}\noutput \"metric\" {\n  value = \"m-${var.group}\"\n}\noutput \"names\" {\n  value = { a = \"A\" }\n}\noutput \"bad\" {\n  value = data.x.y\n}\n";
        let load = modules_named([("out", child)]);
        let alarm = |name: &str, metric: &str| {
            format!(
                "resource \"aws_cloudwatch_metric_alarm\" \"{name}\" {{\n  metric_name = {metric}\n  namespace = \"CIS\"\n}}\n"
            )
        };
        let root = [
            "module \"one\" {\n  source = \"./out\"\n  group = \"g\"\n}\nmodule \"many\" {\n  for_each = toset([\"x\", \"y\"])\n  source = \"./out\"\n  group = each.key\n}\n".to_owned(),
            alarm("a", "module.one.metric"),
            alarm("b", "module.many[\"y\"].metric"),
            alarm("c", "module.one.names.a"),
            alarm("d", "module.one.nope"),
            alarm("e", "module.many.metric"),
            alarm("f", "module.one.bad"),
            "module \"broken\" {\n  for_each = local.nope\n  source = \"./out\"\n  group = 1\n}\n".to_owned(),
        ]
        .concat();
        let found = read_module_with(&[("main.tf".into(), root.clone())], &load);
        let metrics: Vec<(&str, &Json)> = found
            .alarms
            .iter()
            .filter_map(|a| Some((a.logical_name.as_str(), a.properties.get("MetricName")?)))
            .collect();
        assert_eq!(
            metrics,
            [
                ("aws_cloudwatch_metric_alarm.a", &Json::from("m-g")),
                ("aws_cloudwatch_metric_alarm.b", &Json::from("m-y")),
                ("aws_cloudwatch_metric_alarm.c", &Json::from("A")),
            ]
        );
        let line = |text: &str| root[..root.find(text).unwrap()].lines().count() as u32;
        let problems: Vec<(u32, &str)> = found
            .problems
            .iter()
            .map(|p| (p.location.line, p.message.as_str()))
            .collect();
        assert_eq!(
            problems,
            [
                (
                    line("module.one.nope"),
                    "aws_cloudwatch_metric_alarm.d: metric_name: module.one.nope: the module has no output named nope"
                ),
                (
                    line("module.many.metric"),
                    "aws_cloudwatch_metric_alarm.e: metric_name: module.many has count or for_each: name an instance, module.many[KEY]"
                ),
                (
                    line("module.one.bad"),
                    "aws_cloudwatch_metric_alarm.f: metric_name: module.one.bad: data.… is known only when Terraform runs (plan or apply)"
                ),
                (
                    line("local.nope"),
                    "module.broken: no local value named nope: the module is not read"
                ),
            ]
        );
        assert_eq!(found.problems[3].location.column, 14);
    }

    /// Arguments are evaluated in the caller when the module uses them: two calls whose
    /// arguments read each other's outputs are a cycle, said, not a hang; a null argument gives
    /// a `nullable = false` variable its default.
    #[test]
    fn module_arguments_are_evaluated_where_used() {
        let child = "variable \"x\" {\n  default = \"d\"\n  nullable = false\n}\nvariable \"unused\" {\n  default = 0\n}\noutput \"o\" {\n  value = var.x\n}\n";
        let load = modules_named([("ring", child)]);
        let root = "module \"a\" {\n  source = \"./ring\"\n  x = module.b.o\n  unused = module.a.o\n}\nmodule \"b\" {\n  source = \"./ring\"\n  x = module.a.o\n}\nmodule \"n\" {\n  source = \"./ring\"\n  x = null\n}\nresource \"aws_cloudwatch_metric_alarm\" \"z\" {\n  metric_name = module.a.o\n  namespace = module.n.o\n}\n";
        let found = read_module_with(&[("main.tf".into(), root.into())], &load);
        assert_eq!(found.alarms.len(), 1);
        assert_eq!(
            found.alarms[0].properties.get("Namespace"),
            Some(&Json::from("d"))
        );
        assert_eq!(found.alarms[0].properties.get("MetricName"), None);
        let problem = &found.problems[0];
        assert_eq!(found.problems.len(), 1, "{:?}", found.problems);
        assert!(
            problem
                .message
                .ends_with("module.a.o: module.b.o: module.a.o refers to itself (a cycle)"),
            "{problem:?}"
        );
    }

    /// A filter with `count` is referred to by instance, `[N]`, `["N"]` or `.N`; without one,
    /// the reference says how to name one, as for a module call.
    #[test]
    fn filter_instances_are_named_by_key() {
        let text = "resource \"aws_cloudwatch_log_metric_filter\" \"f\" {\n  count = 2\n  name = \"f${count.index}\"\n  log_group_name = \"g\"\n  pattern = \"ERROR\"\n  metric_transformation {\n    name = \"m${count.index}\"\n    namespace = \"N\"\n    value = \"1\"\n  }\n}\nresource \"aws_cloudwatch_metric_alarm\" \"a\" {\n  for_each = toset([\"x\"])\n  metric_name = aws_cloudwatch_log_metric_filter.f[1].metric_transformation[0].name\n  namespace = aws_cloudwatch_log_metric_filter.f[\"0\"].metric_transformation[0].namespace\n  alarm_description = aws_cloudwatch_log_metric_filter.f.0.name\n  alarm_name = aws_cloudwatch_log_metric_filter.f.name\n}\n";
        let found = read("main.tf", text);
        let alarm = &found.alarms[0].properties;
        assert_eq!(alarm.get("MetricName"), Some(&Json::from("m1")));
        assert_eq!(alarm.get("Namespace"), Some(&Json::from("N")));
        assert_eq!(alarm.get("AlarmDescription"), Some(&Json::from("f0")));
        let messages: Vec<&str> = found.problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "aws_cloudwatch_metric_alarm.a[\"x\"]: alarm_name: aws_cloudwatch_log_metric_filter.f has count or for_each: name an instance, aws_cloudwatch_log_metric_filter.f[KEY]"
            ]
        );
    }

    /// A module is loaded once per directory, however many calls, instances and outputs read
    /// it.
    #[test]
    fn modules_are_loaded_once() {
        let loads = std::sync::atomic::AtomicUsize::new(0);
        let child = "variable \"x\" {}\noutput \"a\" {\n  value = var.x\n}\noutput \"b\" {\n  value = \"b\"\n}\n";
        let named = modules_named([("m", child)]);
        let load = |dir: &Path| {
            loads.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            named(dir)
        };
        let root = "module \"one\" {\n  for_each = toset([\"p\", \"q\", \"r\"])\n  source = \"./m\"\n  x = each.key\n}\nmodule \"two\" {\n  source = \"./m/\"\n  x = module.one[\"q\"].a\n}\nresource \"aws_cloudwatch_metric_alarm\" \"z\" {\n  metric_name = \"${module.one[\"p\"].a}${module.one[\"r\"].b}${module.two.a}\"\n  namespace = \"N\"\n}\n";
        let found = read_module_with(&[("main.tf".into(), root.into())], &load);
        assert_eq!(
            found.alarms[0].properties.get("MetricName"),
            Some(&Json::from("pbq"))
        );
        assert_eq!(loads.load(std::sync::atomic::Ordering::Relaxed), 1);
    }

    /// What a call gives wrongly is said once per call, however many instances the module
    /// that makes it has; an instance of a `count` call is named by a number or its text.
    #[test]
    fn module_calls_are_judged_once() {
        let modules = BTreeMap::from([
            ("a", "module \"b\" {\n  source = \"../b\"\n  extra = 1\n}\n"),
            (
                "b",
                "variable \"need\" {}\noutput \"o\" {\n  value = \"b\"\n}\n",
            ),
            (
                "c",
                "output \"i\" {\n  value = var.i\n}\nvariable \"i\" {}\n",
            ),
        ]);
        let load = modules_named(modules);
        let root = "module \"a\" {\n  count = 3\n  source = \"./a\"\n}\nmodule \"c\" {\n  count = 2\n  source = \"./c\"\n  i = \"i${count.index}\"\n}\nresource \"aws_cloudwatch_metric_alarm\" \"z\" {\n  metric_name = module.c[\"1\"].i\n  namespace = module.c[0].i\n}\n";
        let found = read_module_with(&[("main.tf".into(), root.into())], &load);
        // Three instances of module.a each say both, in the same words at the same places:
        // `lint` says each once.
        assert_eq!(found.problems.len(), 6, "{:?}", found.problems);
        let distinct: std::collections::BTreeSet<String> = found
            .problems
            .iter()
            .map(|p| format!("{}: {}", p.location, p.message))
            .collect();
        assert_eq!(distinct.len(), 2, "{distinct:?}");
        assert_eq!(
            found.alarms[0].properties.get("MetricName"),
            Some(&Json::from("i1"))
        );
        assert_eq!(
            found.alarms[0].properties.get("Namespace"),
            Some(&Json::from("i0"))
        );
    }

    /// Outputs through deep and cyclic module graphs: each output is read once (a chain of
    /// modules each reading two outputs of the next is not exponential), a cycle through a
    /// call's own instances is said, a reference too deep is said without a crash, and a
    /// reference too deep from one place is not kept as the answer for a shallower one.
    #[test]
    fn module_outputs_through_deep_and_cyclic_graphs() {
        let mut modules: BTreeMap<String, String> = BTreeMap::new();
        // Nested: n0 calls n1 … calls n19; each output compares two outputs of the next.
        for k in 0..20 {
            let next = if k < 19 {
                format!(
                    "module \"n\" {{\n  source = \"../n{}\"\n}}\noutput \"x\" {{\n  value = module.n.x == module.n.y ? \"p\" : \"q\"\n}}\noutput \"y\" {{\n  value = module.n.x == module.n.y ? \"p\" : \"q\"\n}}\n",
                    k + 1
                )
            } else {
                "output \"x\" {\n  value = \"p\"\n}\noutput \"y\" {\n  value = \"p\"\n}\n".into()
            };
            modules.insert(format!("n{k}"), next);
        }
        modules.insert(
            "c".into(),
            "variable \"x\" {\n  default = 1\n}\noutput \"o\" {\n  value = var.x\n}\n".into(),
        );
        let load = modules_named(modules);
        let alarm = |name: &str, metric: &str| {
            format!(
                "resource \"aws_cloudwatch_metric_alarm\" \"{name}\" {{\n  metric_name = {metric}\n  namespace = \"N\"\n}}\n"
            )
        };
        // A flat chain: c{k} takes c{k-1}'s output, 150 long.
        let mut root = String::from(
            "module \"top\" {\n  source = \"./n0\"\n}\nmodule \"self\" {\n  source = \"./c\"\n  count = module.self[0].o\n}\nmodule \"c0\" {\n  source = \"./c\"\n}\n",
        );
        for k in 1..150 {
            root.push_str(&format!(
                "module \"c{k}\" {{\n  source = \"./c\"\n  x = module.c{}.o\n}}\n",
                k - 1
            ));
        }
        root.push_str(&alarm("nested", "module.top.x"));
        root.push_str(&alarm("deep", "\"${module.c149.o}\""));
        root.push_str(&alarm("shallow", "\"${module.c10.o}\""));
        let started = std::time::Instant::now();
        let found = read_module_with(&[("main.tf".into(), root.clone())], &load);
        // (Not a timing test: without each output read once, this takes hours.)
        assert!(started.elapsed().as_secs() < 60);
        let metric = |name: &str| {
            found
                .alarms
                .iter()
                .find(|a| a.logical_name.ends_with(name))
                .and_then(|a| a.properties.get("MetricName").cloned())
        };
        assert_eq!(metric(".nested"), Some(Json::from("p")));
        assert_eq!(metric(".shallow"), Some(Json::from("1")));
        assert_eq!(metric(".deep"), None);
        let messages: Vec<&str> = found.problems.iter().map(|p| p.message.as_str()).collect();
        assert!(
            messages.iter().any(|m| m
                .starts_with("aws_cloudwatch_metric_alarm.deep: metric_name: module.c149.o: ")
                && m.ends_with("references nest too deep (a cycle?)")),
            "{messages:?}"
        );
        assert!(
            messages.iter().any(|m| m.starts_with("module.self: ")
                && m.contains(
                    "the instances of module.self (count, for_each) refer to themselves (a cycle)"
                )),
            "{messages:?}"
        );
    }

    /// A local is read once: thirty locals that each use the next three times cost thirty
    /// reads, and a local that refers to itself is a cycle, said.
    #[test]
    fn locals_are_read_once() {
        let mut text = String::from("locals {\n  l30 = \"x\"\n  loop = \"${local.loop}\"\n");
        for k in 0..30 {
            let next = k + 1;
            text.push_str(&format!(
                "  l{k} = local.l{next} == local.l{next} ? local.l{next} : \"y\"\n"
            ));
        }
        // Read again at every use, local.l0 would take 3^30 reads.
        text.push_str("}\nresource \"aws_cloudwatch_metric_alarm\" \"a\" {\n  metric_name = local.l0\n  namespace = local.loop\n}\n");
        let found = read("main.tf", &text);
        assert_eq!(
            found.alarms[0].properties.get("MetricName"),
            Some(&Json::from("x"))
        );
        let messages: Vec<&str> = found.problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(
            messages,
            ["aws_cloudwatch_metric_alarm.a: namespace: local.loop refers to itself (a cycle)"]
        );
    }

    /// A fourth review's cases: a filter whose `count` reads the filter itself, and a chain of
    /// calls whose `source` is the previous call's output, are said too deep, not a crash; a
    /// variable passed down sixteen nested modules, each reading it three times, is read once
    /// per module.
    #[test]
    fn self_references_and_passed_variables() {
        let filter = "resource \"aws_cloudwatch_log_metric_filter\" \"f\" {\n  count = aws_cloudwatch_log_metric_filter.f.metric_transformation[0].value\n  name = \"f\"\n  log_group_name = \"g\"\n  pattern = \"ERROR\"\n  metric_transformation {\n    name = \"f\"\n    namespace = \"N\"\n    value = \"1\"\n  }\n}\n";
        let found = read("main.tf", filter);
        assert!(found.filters.is_empty());
        assert!(
            found.problems[0]
                .message
                .ends_with("references nest too deep (a cycle?)"),
            "{:?}",
            found.problems
        );

        let mut modules: BTreeMap<String, String> = BTreeMap::new();
        modules.insert("c".into(), "output \"o\" {\n  value = \"./c\"\n}\n".into());
        for k in 0..16 {
            let inner = if k < 15 {
                format!(
                    "module \"n\" {{\n  source = \"../v{}\"\n  x = var.x == var.x ? var.x : \"q\"\n}}\n",
                    k + 1
                )
            } else {
                "resource \"aws_cloudwatch_log_metric_filter\" \"f\" {\n  name = \"f\"\n  log_group_name = \"g\"\n  pattern = var.x\n  metric_transformation {\n    name = \"f\"\n    namespace = \"N\"\n    value = \"1\"\n  }\n}\n".into()
            };
            modules.insert(format!("v{k}"), format!("variable \"x\" {{}}\n{inner}"));
        }
        let load = modules_named(modules);
        let mut root = String::from(
            "module \"v\" {\n  source = \"./v0\"\n  x = \"ERROR\"\n}\nmodule \"c0\" {\n  source = \"./c\"\n}\n",
        );
        for k in 1..400 {
            root.push_str(&format!(
                "module \"c{k}\" {{\n  source = module.c{}.o\n}}\n",
                k - 1
            ));
        }
        root.push_str("resource \"aws_cloudwatch_metric_alarm\" \"a\" {\n  metric_name = module.c399.o\n  namespace = module.c3.o\n}\n");
        let found = read_module_with(&[("main.tf".into(), root)], &load);
        let patterns: Vec<&str> = found
            .filters
            .iter()
            .map(|f| f.filter_pattern.as_str())
            .collect();
        assert_eq!(patterns, ["ERROR"]);
        assert_eq!(
            found.alarms[0].properties.get("Namespace"),
            Some(&Json::from("./c"))
        );
        assert_eq!(found.alarms[0].properties.get("MetricName"), None);
    }

    /// A variable declared `nullable = false` without a default, set to null by a call: Terraform
    /// refuses the call, and the value is not read as null.
    #[test]
    fn null_for_a_variable_that_may_not_be_null() {
        let child = "variable \"strict\" {\n  nullable = false\n}\noutput \"s\" {\n  value = var.strict\n}\n";
        let load = modules_named([("s", child)]);
        let root = "module \"n\" {\n  source = \"./s\"\n  strict = null\n}\nresource \"aws_cloudwatch_metric_alarm\" \"z\" {\n  metric_name = module.n.s\n  namespace = \"N\"\n}\n";
        let found = read_module_with(&[("main.tf".into(), root.into())], &load);
        assert_eq!(found.alarms[0].properties.get("MetricName"), None);
        let messages: Vec<&str> = found.problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "aws_cloudwatch_metric_alarm.z: metric_name: module.n.s: var.strict is declared nullable = false without a default, and module.n sets it to null: Terraform refuses the call"
            ]
        );
    }

    /// A value that a values file of the module's own directory gives a variable the module
    /// does not declare is said, where it is given, as Terraform warns of it; a values file from
    /// elsewhere may be meant for another module read with this one, and is not.
    #[test]
    fn values_for_undeclared_variables_are_said() {
        let main = "variable \"p\" {\n  default = \"x\"\n}\n";
        let found = read_module(&[
            ("main.tf".into(), main.into()),
            ("terraform.tfvars".into(), "p = \"y\"\nq = 1\n".into()),
            (
                "b.auto.tfvars.json".into(),
                "{\"p\": \"z\", \"r\": [1]}".into(),
            ),
            ("/nowhere/prod.tfvars".into(), "s = 2\n".into()),
        ]);
        let problems: Vec<(&str, &str, u32, u32, &str)> = found
            .problems
            .iter()
            .map(|p| {
                let l = &p.location;
                (
                    p.code,
                    l.file.as_str(),
                    l.line,
                    l.column,
                    p.message.as_str(),
                )
            })
            .collect();
        let message = |name: &str| {
            format!(
                "value for undeclared variable: the module declares no variable \"{name}\", so this value is not used"
            )
        };
        assert_eq!(
            problems,
            [
                (
                    UNDECLARED_VARIABLE,
                    "terraform.tfvars",
                    2,
                    1,
                    message("q").as_str()
                ),
                (
                    UNDECLARED_VARIABLE,
                    "b.auto.tfvars.json",
                    1,
                    17,
                    message("r").as_str()
                ),
            ]
        );
    }

    /// Numbers go into strings as Terraform writes them.
    #[test]
    fn numbers_in_strings_are_written_in_decimal() {
        for (written, text) in [
            ("1.50", "1.5"),
            ("1e3", "1000"),
            ("1E+2", "100"),
            ("0.5e-2", "0.005"),
            ("007", "7"),
            ("10", "10"),
            ("120.0", "120"),
            ("0.000", "0"),
            ("-2.50e1", "-25"),
            ("12.5e-1", "1.25"),
            (
                "123456789012345678901234567890",
                "123456789012345678901234567890",
            ),
        ] {
            assert_eq!(decimal(written).as_deref(), Some(text), "{written}");
        }
        for other in ["", "x", "1.2.3", "1e", "1e5000", "--1"] {
            assert_eq!(decimal(other), None, "{other}");
        }
        let tf = "variable \"n\" {\n  default = 1.50\n}\nresource \"aws_cloudwatch_log_metric_filter\" \"x\" {\n  name = \"f\"\n  log_group_name = \"g\"\n  pattern = \"{ $.a = \\\"${var.n}\\\" || $.b = \\\"${-2e1}\\\" }\"\n  metric_transformation {\n    name = \"m\"\n    namespace = \"n\"\n    value = \"1\"\n  }\n}\n";
        let found = read("x.tf", tf);
        assert!(found.problems.is_empty(), "{:?}", found.problems);
        let pattern = &found.filters[0].filter_pattern;
        assert_eq!(pattern, "{ $.a = \"1.5\" || $.b = \"-20\" }");
        let loc = found.positions[0].locate(pattern.find("1.5").unwrap());
        assert_eq!((loc.line, loc.column), (2, 13));
    }

    #[test]
    fn count_beyond_the_cap_names_the_cap() {
        let tf = |n: u32| {
            format!(
                "resource \"aws_cloudwatch_log_metric_filter\" \"x\" {{\n  count = {n}\n  name = \"f\"\n  pattern = \"x\"\n  log_group_name = \"g\"\n  metric_transformation {{\n    name = \"m\"\n    namespace = \"n\"\n    value = \"1\"\n  }}\n}}\n"
            )
        };
        let found = read("x.tf", &tf(10_001));
        assert!(found.filters.is_empty());
        let message = &found.problems[0].message;
        assert!(
            message.contains("count is 10001: more than the 10000"),
            "{message}"
        );
        let found = read("x.tf", &tf(3));
        assert_eq!(found.filters.len(), 3);
    }
}
