//! Errors: what went wrong (a [`ErrorKind`] with a stable [`ErrorKind::code`]), where (a byte
//! [`Span`] into the text that was rejected) and how to fix it (a help line).
//!
//! The error keeps data only; [`Error`]'s `Display` renders it the way compilers do, with the
//! offending line and a caret line under the span. Bindings convert the byte span into their host's
//! indices at the edge.

use std::fmt;

/// A half-open byte range `start..end` into the text an error or syntax node refers to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    /// First byte of the range.
    pub start: usize,
    /// One past the last byte of the range.
    pub end: usize,
}

impl Span {
    /// The range `start..end`.
    pub const fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    /// Number of bytes covered.
    pub fn len(self) -> usize {
        self.end.saturating_sub(self.start)
    }

    /// True when the span covers no byte.
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// The span narrowed to `text`: cut at its end, then each bound moved back to the start of
    /// the character it falls in, and the start kept at or before the end.
    pub fn within(self, text: &str) -> Span {
        let floor = |mut i: usize| {
            i = i.min(text.len());
            while !text.is_char_boundary(i) {
                i -= 1;
            }
            i
        };
        let end = floor(self.end);
        Span::new(floor(self.start.min(end)), end)
    }
}

/// Which input an error points into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Origin {
    /// The filter pattern.
    FilterPattern,
    /// `metricTransformations[0].metricName`.
    MetricName,
    /// `metricTransformations[0].metricNamespace`.
    MetricNamespace,
    /// `metricTransformations[0].metricValue`.
    MetricValue,
    /// `metricTransformations[0].defaultValue`.
    DefaultValue,
    /// `metricTransformations[0].dimensions`.
    Dimensions,
    /// `metricTransformations[0].unit`.
    Unit,
    /// `metricTransformations`.
    MetricTransformations,
    /// `logEventMessages` of a `TestMetricFilter` request.
    LogEventMessages,
    /// An EventBridge event pattern (`EventPattern` of `PutRule` or `TestEventPattern`).
    EventPattern,
    /// `Event` of a `TestEventPattern` request.
    Event,
}

impl Origin {
    /// The AWS request member name.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::FilterPattern => "filterPattern",
            Origin::MetricName => "metricName",
            Origin::MetricNamespace => "metricNamespace",
            Origin::MetricValue => "metricValue",
            Origin::DefaultValue => "defaultValue",
            Origin::Dimensions => "dimensions",
            Origin::Unit => "unit",
            Origin::MetricTransformations => "metricTransformations",
            Origin::LogEventMessages => "logEventMessages",
            Origin::EventPattern => "EventPattern",
            Origin::Event => "Event",
        }
    }
}

/// What was wrong. Each variant's documentation names an input that triggers it; that input is a
/// test case in `tests/cases/errors.toml`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The pattern is longer than 1024 characters (AWS's limit on `filterPattern`).
    PatternTooLong {
        /// Length of the pattern in characters.
        len: usize,
        /// The limit.
        max: usize,
        /// The pattern, which AWS's message repeats.
        value: String,
    },
    /// Blanks before the `{` or `[`, or after the `}` or `]`, of a JSON or space-delimited
    /// pattern (unless [`crate::Dialect::allow_blanks_around_brackets`]): ` {$.ThisFlag IS TRUE} `.
    BlankAroundBrackets {
        /// `{` or `[`.
        open: char,
        /// `}` or `]`.
        close: char,
    },
    /// A character that must be quoted appears unquoted: `?Status: timeout`,
    /// `{ $.a = 1, $.b = 2 }`, `{ $."detail-type" = "x" }`.
    InvalidCharacter {
        /// The text AWS quotes in its message (`:`, `,`, `$."`).
        text: String,
    },
    /// A character that a member name written bare cannot hold: `{ $.@timestamp = 1 }`. The
    /// same code and message as [`ErrorKind::InvalidCharacter`]; the help names the bracket form.
    MemberCharacter {
        /// The character, as AWS quotes it in its message.
        text: String,
    },
    /// A double-quoted string has no closing quote: `"abc`.
    UnterminatedString,
    /// A `%regex%` has no closing `%`: `%abc`.
    UnterminatedRegex,
    /// `%%`: a regex with nothing between the percent signs.
    EmptyRegex,
    /// A regex uses a character outside AWS's regex alphabet: `%something!%`, `%(a|b)%`.
    RegexCharacter {
        /// The offending character.
        ch: char,
    },
    /// A regex contains a non-ASCII character: `%café%`.
    RegexNonAscii {
        /// The offending character.
        ch: char,
    },
    /// A regex is not well formed: `%[abc%`, `%a{2,1}%`.
    RegexSyntax {
        /// What the regex compiler said.
        detail: String,
    },
    /// A regex compiles to more than the allowed automaton size: `%.{5000}%`.
    RegexTooLarge,
    /// More than two regexes in one JSON or space-delimited pattern:
    /// `{ $.a = %x% || $.b = %y% || $.c = %z% }`.
    TooManyRegexes {
        /// Regexes in the pattern.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// More than one wildcard in one property selector: `{ $.a[*].b[*] = "x" }`.
    SelectorWildcards,
    /// More than three selectors with a wildcard in one pattern:
    /// `{ $.a[*] = 1 && $.* = 2 && $.b[*] = 3 && $.c[*] = 4 }`.
    TooManyWildcardSelectors {
        /// Selectors with a wildcard in the pattern.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A bare value followed by more words: `{ $.errorMessage = Failed authentication }`.
    UnquotedBlank {
        /// The words, as written.
        value: String,
    },
    /// `IS NOT` is not part of the language: `{ $.a IS NOT NULL }`.
    IsNotUnsupported,
    /// `EXISTS` without `NOT` is not part of the language: `{ $.x EXISTS }`.
    ExistsUnsupported,
    /// A keyword written in lower case: `{ $.a is null }`.
    LowercaseKeyword {
        /// The keyword as written.
        found: String,
        /// The keyword as it must be written.
        expected: String,
    },
    /// A condition in a space-delimited field names another field:
    /// `[a, b = 1 && c > 2]`.
    CrossFieldCondition {
        /// The field the condition belongs to.
        field: String,
        /// The name the condition uses.
        other: String,
    },
    /// Two fields of a space-delimited pattern have the same name: `[a, a]`.
    DuplicateFieldName {
        /// The repeated name.
        name: String,
    },
    /// A space-delimited field named only with digits, which `$n` would confuse with the
    /// event's n-th field: `[, 1]`.
    NumericFieldName {
        /// The name.
        name: String,
    },
    /// More than one `...` in a space-delimited pattern: `[..., a, ...]`.
    MultipleEllipses,
    /// A JSON pattern does not end with `}`: `{ $.a = 1`.
    UnclosedBrace,
    /// A space-delimited pattern does not end with `]`: `[a, b`.
    UnclosedBracket,
    /// A `(` without its `)`, or a `)` without its `(`: `{ ($.a = 1 }`.
    UnbalancedParentheses,
    /// A property selector that does not start with `$.`: `{ status = "401" }`.
    SelectorWithoutRoot {
        /// What was written instead.
        found: String,
    },
    /// A property selector that is not well formed: `{ $.a[x] = 1 }`, `{ $. = 1 }`.
    InvalidSelector {
        /// What is wrong with it.
        detail: String,
    },
    /// `<`, `>`, `<=` or `>=` compared with something that is not a number: `{ $.a > abc }`.
    NumericOperatorNeedsNumber {
        /// The operator.
        op: String,
    },
    /// A regex compared with an operator other than `=` or `!=`: `{ $.a > %1% }`.
    RegexOperator {
        /// The operator.
        op: String,
    },
    /// Parentheses nested deeper than the parser allows.
    NestingTooDeep {
        /// The limit.
        max: usize,
    },
    /// `-` or `?` with no term after it: `ERROR -`.
    MissingTerm {
        /// The modifier (`-` or `?`).
        modifier: char,
    },
    /// Anything else the grammar does not allow: `{ $.a = }`, `{ $.a = 1 $.b = 2 }`.
    Expected {
        /// What the grammar allows at this point.
        expected: String,
        /// What the pattern has there (empty at the end of the pattern).
        found: String,
    },
    /// More patterns in one set than the set's limit (100,000 by default).
    TooManyPatterns {
        /// Patterns read when the limit was passed: the limit plus one (the rest are not read).
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A multi-pattern automaton of a set would exceed the set's size limit.
    AutomatonTooLarge {
        /// Which automaton.
        what: String,
    },
    /// More globs and regexes on one selector than the set's limit.
    WildcardComplexity {
        /// Globs and regexes on the selector.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// `metricName` or `metricNamespace` is empty, too long or contains `:`, `*` or `$`.
    InvalidMetricName {
        /// What is wrong.
        detail: String,
    },
    /// `metricValue` is neither a number nor a field reference: `length`.
    InvalidMetricValue {
        /// What is wrong.
        detail: String,
    },
    /// A `metricValue` or dimension references a field the pattern kind cannot provide:
    /// `$.latency` with a space-delimited pattern.
    InvalidFieldReference {
        /// What is wrong.
        detail: String,
    },
    /// Dimensions on a term pattern: AWS's "The specified filter pattern does not support
    /// dimensions".
    DimensionsNotSupported,
    /// Dimensions together with `defaultValue`.
    DimensionsWithDefaultValue,
    /// More than three dimensions.
    TooManyDimensions {
        /// Dimensions given.
        count: usize,
    },
    /// A dimension name or value that AWS rejects (empty, too long).
    InvalidDimension {
        /// What is wrong.
        detail: String,
    },
    /// `unit` is not a CloudWatch standard unit: `Furlongs`.
    InvalidUnit {
        /// The unit given.
        unit: String,
    },
    /// `defaultValue` is not a finite number.
    InvalidDefaultValue,
    /// A `PutMetricFilter` request with no or several metric transformations.
    TooManyTransformations {
        /// Transformations given.
        count: usize,
    },
    /// A `TestMetricFilter` request with no, too many (over 50) or empty messages.
    InvalidLogEventMessages {
        /// What is wrong, in AWS's validation wording.
        detail: String,
    },
    /// An event pattern longer than the event pattern size quota (2048 characters by default):
    /// a pattern of 2049 characters.
    EventPatternTooLong {
        /// Length of the pattern in characters.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// An event pattern that is not well-formed JSON: `{"source": ["aws.ec2"]`, `{'a': ["b"]}`.
    EventPatternSyntax {
        /// What the JSON reader says, in Jackson's wording (event-ruler reads with Jackson).
        reason: String,
    },
    /// JSON that is not an event pattern's shape: `["aws.ec2"]`, `{"source": "aws.ec2"}`,
    /// `{"source": []}`, `{"detail": {}}`, `{"a": [["b"]]}`, `{"$or": [{"a": ["b"]}]}`.
    EventPatternStructure {
        /// event-ruler's message.
        reason: String,
    },
    /// An operator object that is not well formed: `{"a": [{"prefix": 1}]}`,
    /// `{"a": [{"regex": "x"}]}`, `{"a": [{"numeric": [">", "x"]}]}`,
    /// `{"a": [{"anything-but": [1, "x"]}]}`.
    EventPatternOperator {
        /// event-ruler's message.
        reason: String,
    },
    /// A number event-ruler cannot compare, or an empty numeric range:
    /// `{"a": [{"numeric": [">", 0.30000000000000001]}]}`,
    /// `{"a": [{"numeric": [">", 5, "<", 1]}]}`.
    EventPatternNumber {
        /// event-ruler's message.
        reason: String,
    },
    /// A `cidr` value that is not a CIDR block: `{"ip": [{"cidr": "10.0.0.0"}]}`,
    /// `{"ip": [{"cidr": "10.0.0.1/32"}]}`.
    EventPatternCidr {
        /// event-ruler's message.
        reason: String,
    },
    /// A `wildcard` value with `**` or a `\` escaping anything but `*` and `\`:
    /// `{"a": [{"wildcard": "a**"}]}`.
    EventPatternWildcard {
        /// event-ruler's message.
        reason: String,
    },
    /// `$or`s that expand to more than 1000 rule combinations: eleven `$or`s of two
    /// alternatives each, side by side.
    EventPatternTooManyRules {
        /// The combinations.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// Wildcards whose matching could keep more than the limit of wildcard states open at once on
    /// one field: `{"a": [{"wildcard": "*1*"}, {"wildcard": "*2*"}, {"wildcard": "*3*"},
    /// {"wildcard": "*4*"}]}`.
    EventPatternTooComplex {
        /// The pattern's complexity: a count above the limit of the wildcard states one value can
        /// keep open at once (counting stops there).
        complexity: usize,
        /// The limit.
        max: usize,
    },
    /// Objects nested deeper than trailmatch reads (100): `{"a":{"a":{…}}}` 101 deep.
    EventPatternTooDeep {
        /// The limit.
        max: usize,
    },
    /// A `TestEventPattern` event that is not a JSON object with the fields `id`, `account`,
    /// `source`, `time`, `region` and `detail-type`: `{"source": "aws.ec2"}`.
    InvalidEvent {
        /// What is wrong.
        reason: String,
    },
}

impl ErrorKind {
    /// A stable kebab-case identifier, the same in Rust, Python and JavaScript.
    pub fn code(&self) -> &'static str {
        use ErrorKind::*;
        match self {
            PatternTooLong { .. } => "pattern-too-long",
            BlankAroundBrackets { .. } => "blank-around-brackets",
            InvalidCharacter { .. } | MemberCharacter { .. } => "invalid-character",
            UnterminatedString => "unterminated-string",
            UnterminatedRegex => "unterminated-regex",
            EmptyRegex => "empty-regex",
            RegexCharacter { .. } => "regex-character",
            RegexNonAscii { .. } => "regex-non-ascii",
            RegexSyntax { .. } => "regex-syntax",
            RegexTooLarge => "regex-too-large",
            TooManyRegexes { .. } => "too-many-regexes",
            SelectorWildcards => "selector-wildcards",
            TooManyWildcardSelectors { .. } => "too-many-wildcard-selectors",
            UnquotedBlank { .. } => "unquoted-blank",
            IsNotUnsupported => "is-not-unsupported",
            ExistsUnsupported => "exists-unsupported",
            LowercaseKeyword { .. } => "lowercase-keyword",
            CrossFieldCondition { .. } => "cross-field-condition",
            DuplicateFieldName { .. } => "duplicate-field-name",
            NumericFieldName { .. } => "numeric-field-name",
            MultipleEllipses => "multiple-ellipses",
            UnclosedBrace => "unclosed-brace",
            UnclosedBracket => "unclosed-bracket",
            UnbalancedParentheses => "unbalanced-parentheses",
            SelectorWithoutRoot { .. } => "selector-without-root",
            InvalidSelector { .. } => "invalid-selector",
            NumericOperatorNeedsNumber { .. } => "numeric-operator-needs-number",
            RegexOperator { .. } => "regex-operator",
            NestingTooDeep { .. } => "nesting-too-deep",
            MissingTerm { .. } => "missing-term",
            Expected { .. } => "syntax",
            TooManyPatterns { .. } => "too-many-patterns",
            AutomatonTooLarge { .. } => "automaton-too-large",
            WildcardComplexity { .. } => "wildcard-complexity",
            InvalidMetricName { .. } => "invalid-metric-name",
            InvalidMetricValue { .. } => "invalid-metric-value",
            InvalidFieldReference { .. } => "invalid-field-reference",
            DimensionsNotSupported => "dimensions-not-supported",
            DimensionsWithDefaultValue => "dimensions-with-default-value",
            TooManyDimensions { .. } => "too-many-dimensions",
            InvalidDimension { .. } => "invalid-dimension",
            InvalidUnit { .. } => "invalid-unit",
            InvalidDefaultValue => "invalid-default-value",
            TooManyTransformations { .. } => "too-many-transformations",
            InvalidLogEventMessages { .. } => "invalid-log-event-messages",
            EventPatternTooLong { .. } => "event-pattern-too-long",
            EventPatternSyntax { .. } => "event-pattern-syntax",
            EventPatternStructure { .. } => "event-pattern-structure",
            EventPatternOperator { .. } => "event-pattern-operator",
            EventPatternNumber { .. } => "event-pattern-number",
            EventPatternCidr { .. } => "event-pattern-cidr",
            EventPatternWildcard { .. } => "event-pattern-wildcard",
            EventPatternTooManyRules { .. } => "event-pattern-too-many-rules",
            EventPatternTooComplex { .. } => "event-pattern-too-complex",
            EventPatternTooDeep { .. } => "event-pattern-too-deep",
            InvalidEvent { .. } => "invalid-event",
        }
    }

    /// The one-line message, in AWS's wording where AWS has one.
    pub fn message(&self) -> String {
        use ErrorKind::*;
        match self {
            PatternTooLong { max, value, .. } => too_long_message(value, *max),
            BlankAroundBrackets { open, close } => {
                format!("Invalid metric filter pattern: blanks before '{open}' or after '{close}'")
            }
            InvalidCharacter { text } | MemberCharacter { text } => {
                format!("Invalid character(s) in term '{text}'")
            }
            UnterminatedString => "unterminated string: no closing '\"'".into(),
            UnterminatedRegex => "unterminated regex: no closing '%'".into(),
            EmptyRegex => "empty regex: nothing between '%' and '%'".into(),
            RegexCharacter { ch } => format!("Invalid character(s) in term '{ch}'"),
            RegexNonAscii { ch } => format!("Invalid character(s) in term '{ch}'"),
            RegexSyntax { detail } => format!("invalid regex: {detail}"),
            RegexTooLarge => "regex too large: it compiles to more than the size limit".into(),
            TooManyRegexes { count, max } => {
                format!("too many regexes: {count} in one pattern, at most {max} are allowed")
            }
            SelectorWildcards => {
                "a property selector may contain at most one wildcard ('*' or '[*]')".into()
            }
            TooManyWildcardSelectors { count, max } => format!(
                "too many wildcard selectors: {count} in one pattern, at most {max} are allowed"
            ),
            UnquotedBlank { value } => {
                format!("the value '{value}' contains blanks, so it must be double-quoted")
            }
            IsNotUnsupported => "IS NOT is not supported".into(),
            ExistsUnsupported => "EXISTS is not supported; only NOT EXISTS is".into(),
            LowercaseKeyword { found, expected } => {
                format!("keywords are upper case: '{found}' must be written '{expected}'")
            }
            CrossFieldCondition { field, other } => format!(
                "Invalid filter pattern: a condition on field '{field}' refers to field '{other}'"
            ),
            DuplicateFieldName { name } => format!("field name '{name}' is used twice"),
            NumericFieldName { name } => format!(
                "field name '{name}' is made only of digits, so '${name}' would also name the event's field {name}"
            ),
            MultipleEllipses => "at most one '...' is allowed in a space-delimited pattern".into(),
            UnclosedBrace => "If a filter pattern starts with '{' it must end with '}'".into(),
            UnclosedBracket => "If a filter pattern starts with '[' it must end with ']'".into(),
            UnbalancedParentheses => "unbalanced parentheses".into(),
            SelectorWithoutRoot { found } => {
                format!("invalid property selector '{found}': selectors start with '$.'")
            }
            InvalidSelector { detail } => format!("invalid property selector: {detail}"),
            NumericOperatorNeedsNumber { op } => {
                format!("the operator '{op}' compares numbers, and this value is not a number")
            }
            RegexOperator { op } => {
                format!("a regex can only be compared with '=' or '!=', not '{op}'")
            }
            NestingTooDeep { max } => {
                format!("parentheses nested too deep: at most {max} levels are allowed")
            }
            MissingTerm { modifier } => format!("expected a term after '{modifier}'"),
            Expected { expected, found } if found.is_empty() => {
                format!("expected {expected}, found the end of the pattern")
            }
            Expected { expected, found } => format!("expected {expected}, found '{found}'"),
            TooManyPatterns { max, .. } => {
                format!("too many patterns: more than {max} in one set")
            }
            AutomatonTooLarge { what } => {
                format!("the automaton for {what} would exceed the size limit")
            }
            WildcardComplexity { count, max } => format!(
                "too many globs and regexes on one selector: {count}, at most {max} are allowed"
            ),
            InvalidMetricName { detail } => detail.clone(),
            InvalidMetricValue { detail } => detail.clone(),
            InvalidFieldReference { detail } => detail.clone(),
            DimensionsNotSupported => {
                "The specified filter pattern does not support dimensions".into()
            }
            DimensionsWithDefaultValue => {
                "dimensions cannot be used together with defaultValue".into()
            }
            TooManyDimensions { count } => format!(
                "1 validation error detected: Value at 'metricTransformations.1.member.dimensions' \
                 failed to satisfy constraint: Member must have at most 3 entries (got {count})"
            ),
            InvalidDimension { detail } => detail.clone(),
            InvalidUnit { unit } => format!(
                "1 validation error detected: Value '{unit}' at 'metricTransformations.1.member.unit' \
                 failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                crate::aws::UNITS.join(", ")
            ),
            InvalidDefaultValue => "defaultValue must be a finite number".into(),
            TooManyTransformations { count } => format!(
                "1 validation error detected: Value at 'metricTransformations' failed to satisfy \
                 constraint: Member must have length {} 1",
                if *count == 0 {
                    "greater than or equal to"
                } else {
                    "less than or equal to"
                }
            ),
            InvalidLogEventMessages { detail } => detail.clone(),
            EventPatternTooLong { len, max } => invalid_event_pattern(&format!(
                "the pattern has {len} characters, over the event pattern size quota of {max}"
            )),
            EventPatternSyntax { reason }
            | EventPatternStructure { reason }
            | EventPatternOperator { reason }
            | EventPatternNumber { reason }
            | EventPatternCidr { reason }
            | EventPatternWildcard { reason } => invalid_event_pattern(reason),
            EventPatternTooManyRules { count, max } => invalid_event_pattern(&format!(
                "the $or operators make {count} rule combinations, over the limit of {max}"
            )),
            EventPatternTooComplex { .. } => invalid_event_pattern("Rule is too complex"),
            EventPatternTooDeep { max } => {
                invalid_event_pattern(&format!("objects are nested more than {max} deep"))
            }
            InvalidEvent { .. } => "Parameter Event is not valid.".into(),
        }
    }

    /// What to do about it, when there is something useful to say.
    pub fn help(&self) -> Option<String> {
        use ErrorKind::*;
        Some(match self {
            PatternTooLong { len, .. } => {
                format!("this pattern has {len} characters; split it into several filters")
            }
            BlankAroundBrackets { open, close } => format!(
                "remove the blanks: the pattern must start with '{open}' and end with '{close}'"
            ),
            InvalidCharacter { text } if text == "$.\"" => {
                "member names are written bare ($.detail-type) or in brackets with single quotes \
                 ($.['detail.type'])"
                    .into()
            }
            InvalidCharacter { text } if text == "'" => {
                "strings are quoted with double quotes (\"Root\"), not single quotes".into()
            }
            InvalidCharacter { text } if text == "," => {
                "join conditions with '&&' or '||'; to match a comma, put it inside double quotes"
                    .into()
            }
            InvalidCharacter { .. } => {
                "text with characters other than letters, digits and '_' must be double-quoted"
                    .into()
            }
            MemberCharacter { .. } => {
                "a member name written bare holds ASCII letters, digits, '_' and '-' only; write \
                 one with other characters in brackets with single quotes: $.['@timestamp']"
                    .into()
            }
            UnterminatedString => {
                "close the string with '\"'; write \\\" for a quote inside it".into()
            }
            UnterminatedRegex => "close the regex with '%'".into(),
            EmptyRegex => "write a regex between the percent signs, such as %ERROR%".into(),
            RegexCharacter { ch: '(' | ')' } => {
                "regexes cannot group with parentheses; use alternation (a|b) without them, or \
                 \\x28 and \\x29 to match the characters"
                    .into()
            }
            RegexCharacter { .. } => "regexes may use letters, digits, spaces, _ # = @ / ; , - : \
                 and the operators ^ $ ? [ ] { } | \\ * + .; match other characters with \\xhh"
                .into(),
            RegexNonAscii { .. } => "regexes are ASCII only; match other bytes with \\xhh".into(),
            RegexSyntax { .. } => "see the supported regex syntax in SYNTAX.md".into(),
            RegexTooLarge => "use smaller repetition counts".into(),
            TooManyRegexes { .. } => {
                "split the pattern into several filters, or use globs such as \"abc*\"".into()
            }
            SelectorWildcards => "use one '*' or '[*]' per selector".into(),
            TooManyWildcardSelectors { .. } => "split the pattern into several filters".into(),
            UnquotedBlank { value } => format!("write \"{value}\""),
            IsNotUnsupported => "use '!= value', or NOT EXISTS for a missing property".into(),
            ExistsUnsupported => "to require a property, write '$.x = *'".into(),
            LowercaseKeyword { expected, .. } => format!("write '{expected}'"),
            CrossFieldCondition { field, .. } => {
                format!(
                    "every condition in this field must name '{field}'; put the other condition on its own field"
                )
            }
            DuplicateFieldName { .. } => "give each field its own name".into(),
            NumericFieldName { name } => format!("give it a name with a letter, such as f{name}"),
            MultipleEllipses => "keep one '...'".into(),
            UnclosedBrace => "add the closing '}', and nothing after it".into(),
            UnclosedBracket => "add the closing ']', and nothing after it".into(),
            UnbalancedParentheses => "every '(' needs a matching ')'".into(),
            SelectorWithoutRoot { found } => format!("write '$.{found}'"),
            InvalidSelector { .. } => {
                "selectors look like $.a.b, $.a[0], $.a[*], $.* or $.['key.with.dots']".into()
            }
            NumericOperatorNeedsNumber { .. } => {
                "compare text with '=' or '!=', or write a number such as 500 or 1.5e3".into()
            }
            RegexOperator { .. } => "use '=' or '!=' with a regex".into(),
            NestingTooDeep { .. } => "remove redundant parentheses".into(),
            MissingTerm { modifier } => format!("write the term right after it: {modifier}ERROR"),
            Expected { .. } => return None,
            TooManyPatterns { .. } => "split the patterns into several sets".into(),
            AutomatonTooLarge { .. } | WildcardComplexity { .. } => {
                "use fewer or simpler globs and regexes, or raise the set's limits".into()
            }
            InvalidMetricName { .. } => {
                "names are 1 to 255 characters without ':', '*' or '$'".into()
            }
            InvalidMetricValue { .. } => {
                "use a number (\"1\") or a field reference ($.latency, $size, $7)".into()
            }
            InvalidFieldReference { .. } => {
                "JSON patterns reference $.selector; space-delimited patterns reference $name or $n"
                    .into()
            }
            DimensionsNotSupported => {
                "dimensions need a JSON or space-delimited pattern to read values from".into()
            }
            DimensionsWithDefaultValue => "remove defaultValue or the dimensions".into(),
            TooManyDimensions { .. } => "keep at most three dimensions".into(),
            InvalidDimension { .. } => {
                "dimension names and values are 1 to 255 characters; values are field references"
                    .into()
            }
            InvalidUnit { .. } => "use one of the units listed above".into(),
            InvalidDefaultValue => "write a number such as 0".into(),
            TooManyTransformations { .. } => "give exactly one metric transformation".into(),
            InvalidLogEventMessages { .. } => {
                "TestMetricFilter takes 1 to 50 messages, each at least one character".into()
            }
            EventPatternTooLong { .. } => {
                "split the pattern into several rules, or raise the quota (at most 4096)".into()
            }
            EventPatternSyntax { .. } => "an event pattern is a JSON object".into(),
            EventPatternStructure { .. } => {
                "fields hold an object or an array of values: {\"source\": [\"aws.ec2\"]}".into()
            }
            EventPatternOperator { .. } => {
                "see the operators in SYNTAX.md (EventBridge part)".into()
            }
            EventPatternNumber { .. } => {
                "numbers must be exact as a double, and a range's bottom below its top".into()
            }
            EventPatternCidr { .. } => {
                "write an address and a mask, such as 10.0.0.0/24 or 2001:db8::/32".into()
            }
            EventPatternWildcard { .. } => {
                "write one '*' at a time; escape a star as \\\\* and a backslash as \\\\\\\\".into()
            }
            EventPatternTooManyRules { .. } => {
                "use fewer $or alternatives, or split the pattern into several rules".into()
            }
            EventPatternTooComplex { complexity, max } => format!(
                "the wildcards of one field can keep {complexity} or more wildcard states open at \
                 once (at most {max}); use prefixes, fewer wildcards, or split the rule"
            ),
            EventPatternTooDeep { .. } => "nest objects less deeply".into(),
            InvalidEvent { reason } => reason.clone(),
        })
    }
}

/// An input that trailmatch rejects: a kind, the text it was found in and the byte span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    origin: Origin,
    text: String,
    span: Span,
}

impl Error {
    /// An error of `kind` at `span` in `text`, which came from `origin`.
    ///
    /// A span reaching past the text, or into the middle of a character, is narrowed to the
    /// character boundaries around it.
    pub fn new(kind: ErrorKind, origin: Origin, text: &str, span: Span) -> Error {
        Error {
            kind,
            origin,
            text: text.to_owned(),
            span: span.within(text),
        }
    }

    /// An error in a filter pattern.
    pub(crate) fn pattern(kind: ErrorKind, pattern: &str, span: Span) -> Error {
        Error::new(kind, Origin::FilterPattern, pattern, span)
    }

    /// What was wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The stable kebab-case code of the kind.
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }

    /// The one-line message.
    pub fn message(&self) -> String {
        self.kind.message()
    }

    /// The help line, if any.
    pub fn help(&self) -> Option<String> {
        self.kind.help()
    }

    /// Which input the span points into.
    pub fn origin(&self) -> Origin {
        self.origin
    }

    /// The input the span points into.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Byte span of the offending text.
    pub fn span(&self) -> Span {
        self.span
    }

    /// 1-based line and column (in characters) where the span starts.
    pub fn line_column(&self) -> (usize, usize) {
        Snippet::new(self.origin.as_str(), &self.text, self.span, None).line_column()
    }
}

/// EventBridge's `InvalidEventPatternException` message around event-ruler's `reason`.
fn invalid_event_pattern(reason: &str) -> String {
    format!("Event pattern is not valid. Reason: {reason}")
}

/// AWS's message for a `filterPattern` over `max` characters, which repeats the value.
fn too_long_message(value: &str, max: usize) -> String {
    format!(
        "1 validation error detected: Value '{value}' at 'filterPattern' failed to satisfy \
         constraint: Member must have length less than or equal to {max}"
    )
}

/// The start of a value echoed in a one-line message: its first [`SHOWN_AFTER`] characters,
/// control characters shown as spaces, and `…` where it is cut.
fn echoed(value: &str) -> String {
    let mut shown_value: String = value.chars().take(SHOWN_AFTER).map(shown).collect();
    if value.chars().nth(SHOWN_AFTER).is_some() {
        shown_value.push('…');
    }
    shown_value
}

impl fmt::Display for Error {
    /// Renders like a compiler diagnostic:
    ///
    /// ```text
    /// error[invalid-character]: Invalid character(s) in term ':'
    ///  --> filterPattern:1:8
    ///   |
    /// 1 | ?Status: timeout
    ///   |        ^
    ///   = help: text with characters other than letters, digits and '_' must be double-quoted
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let message = match &self.kind {
            // The echoed pattern is longer than a valid pattern: shown cut, on one line.
            ErrorKind::PatternTooLong { max, value, .. } => too_long_message(&echoed(value), *max),
            _ => self.message(),
        };
        write!(f, "error[{}]: {message}", self.code())?;
        let help = self.help();
        if self.text.is_empty() {
            // About no text in particular (a whole pattern set): no source line to show.
            if let Some(help) = help {
                write!(f, "\n  = help: {help}")?;
            }
            return Ok(());
        }
        let snippet = Snippet::new(self.origin.as_str(), &self.text, self.span, help.as_deref());
        write!(f, "\n{snippet}")
    }
}

/// The source part of a diagnostic: where (`--> origin:line:column`), the span's line, a caret
/// line under the span and an optional help line. [`Error`] renders with it, and so do the
/// [warnings](crate::analysis::Warning) in `trailmatch lint`'s report.
///
/// The line and column count characters; the carets are placed by display width, so they stay
/// under the span after wide characters (CJK, emoji: two columns) and combining marks (none).
/// Control characters are shown as one space each. A line longer than any valid pattern (a 1 MB
/// pattern) is shown as a window around the span's start, with `…` where it is cut.
#[derive(Debug, Clone, Copy)]
pub struct Snippet<'a> {
    origin: &'a str,
    text: &'a str,
    span: Span,
    help: Option<&'a str>,
}

/// In a source line longer than a valid pattern, the characters shown before the span's start;
/// more are cut with `…`.
const SHOWN_BEFORE: usize = 60;
/// In such a line, the characters shown from the span's start on; more are cut with `…`.
const SHOWN_AFTER: usize = 120;

impl<'a> Snippet<'a> {
    /// The snippet of `span` in `text`; a span reaching past the text or into a character is
    /// narrowed to the character boundaries around it.
    pub fn new(origin: &'a str, text: &'a str, span: Span, help: Option<&'a str>) -> Snippet<'a> {
        Snippet {
            origin,
            text,
            span: span.within(text),
            help,
        }
    }

    /// The text before the span's start and the text from it on.
    fn split(&self) -> (&'a str, &'a str) {
        self.text
            .split_at_checked(self.span.start)
            .unwrap_or((self.text, ""))
    }

    /// 1-based line and column (in characters) where the span starts.
    fn line_column(&self) -> (usize, usize) {
        let (before, _) = self.split();
        let line = before.matches('\n').count() + 1;
        (line, line_before_span(before).chars().count() + 1)
    }
}

/// The start of the span's line: what follows the last line break of the text before the span.
fn line_before_span(before: &str) -> &str {
    before.rsplit_once('\n').map_or(before, |(_, line)| line)
}

/// A character as shown in a snippet: control characters become a space.
fn shown(c: char) -> char {
    if c.is_control() { ' ' } else { c }
}

/// The number of terminal columns `s` takes once shown.
fn columns(s: &str) -> usize {
    s.chars()
        .map(|c| unicode_width::UnicodeWidthChar::width(shown(c)).unwrap_or(0))
        .sum()
}

impl fmt::Display for Snippet<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (line_no, col) = self.line_column();
        let gutter = " ".repeat(line_no.to_string().len());
        writeln!(f, "{gutter}--> {}:{line_no}:{col}", self.origin)?;
        // The span's line: `head` up to the span's start, `tail` from there to the line's end.
        let (before, after) = self.split();
        let head = line_before_span(before);
        let tail = after.split_once('\n').map_or(after, |(line, _)| line);
        // The caret covers the span, cut at the end of the line; the span's end is a character
        // boundary, and so is the line's end.
        let under = tail
            .get(..self.span.len().min(tail.len()))
            .unwrap_or_default();
        let head_chars = head.chars().count();
        let long = head_chars + tail.chars().count() > crate::aws::MAX_PATTERN_CHARS;
        let from = head_chars.saturating_sub(SHOWN_BEFORE);
        let (head, cut_head) = match head.char_indices().nth(from) {
            Some((at, _)) if long && from > 0 => (head.get(at..).unwrap_or(head), "…"),
            _ => (head, ""),
        };
        let (tail, cut_tail) = match tail.char_indices().nth(SHOWN_AFTER) {
            Some((at, _)) if long => (tail.get(..at).unwrap_or(tail), "…"),
            _ => (tail, ""),
        };
        let under = under.get(..under.len().min(tail.len())).unwrap_or(tail);
        let pad = columns(cut_head) + columns(head);
        let width = columns(under).max(1);
        let line: String = head.chars().chain(tail.chars()).map(shown).collect();
        writeln!(f, "{gutter} |")?;
        writeln!(f, "{line_no} | {cut_head}{line}{cut_tail}")?;
        write!(f, "{gutter} | {}{}", " ".repeat(pad), "^".repeat(width))?;
        if let Some(help) = self.help {
            write!(f, "\n{gutter} = help: {help}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_are_kept_on_character_boundaries() {
        let e = Error::new(
            ErrorKind::UnterminatedString,
            Origin::FilterPattern,
            "é\"x",
            Span::new(1, 99),
        );
        assert_eq!(e.span(), Span::new(0, 4));
        assert!(e.to_string().contains("^^^"));
    }

    #[test]
    fn a_very_long_line_is_shown_as_a_window_around_the_span() {
        let text = format!("{}:{}", "a".repeat(5000), "b".repeat(5000));
        let e = Error::new(
            ErrorKind::InvalidCharacter {
                text: ":".to_owned(),
            },
            Origin::FilterPattern,
            &text,
            Span::new(5000, 10_001),
        );
        let rendered = e.to_string();
        assert!(rendered.len() < 1000, "{rendered}");
        let lines: Vec<&str> = rendered.lines().collect();
        assert_eq!(lines[1], " --> filterPattern:1:5001");
        let source = format!("1 | …{}:{}…", "a".repeat(60), "b".repeat(119));
        assert_eq!(lines[3], source);
        assert_eq!(
            lines[4],
            format!("  | {}{}", " ".repeat(61), "^".repeat(120))
        );
    }

    /// The source line and the caret line of `text`'s rendering with an error at `span`.
    fn caret_lines(text: &str, span: Span) -> (String, String) {
        let colon = ErrorKind::InvalidCharacter {
            text: ":".to_owned(),
        };
        let e = Error::new(colon, Origin::FilterPattern, text, span);
        let rendered = e.to_string();
        let lines: Vec<&str> = rendered.lines().collect();
        (lines[3].to_owned(), lines[4].to_owned())
    }

    #[test]
    fn carets_sit_under_the_span_after_wide_characters() {
        // Three CJK characters take two columns each: the caret goes under the seventh column,
        // while the reported column counts characters.
        let text = "日本語:x";
        let e = Error::new(
            ErrorKind::InvalidCharacter {
                text: ":".to_owned(),
            },
            Origin::FilterPattern,
            text,
            Span::new(9, 10),
        );
        assert_eq!(e.line_column(), (1, 4));
        assert_eq!(
            caret_lines(text, Span::new(9, 10)),
            ("1 | 日本語:x".to_owned(), format!("  | {}^", " ".repeat(6)))
        );
        // A span over wide characters is as wide as they are.
        assert_eq!(
            caret_lines("a 日本 b", Span::new(2, 8)).1,
            "  |   ^^^^".to_owned()
        );
        // An emoji takes two columns, a combining accent none, a tab (shown as a space) one.
        assert_eq!(
            caret_lines("🦀e\u{301}\t:", Span::new(8, 9)).1,
            format!("  | {}^", " ".repeat(4))
        );
    }

    /// Issue 18: AWS's message for a pattern over 1024 characters repeats the value
    /// (`Value '…' at 'filterPattern'`). `message()` repeats it whole; the rendering shows its
    /// first characters on one line, and keeps the caret and help lines.
    #[test]
    fn the_length_error_repeats_the_value_and_the_rendering_cuts_it() {
        let text = format!("{}\n{}", "a".repeat(1000), "b".repeat(1000));
        let e = crate::parse(&text).unwrap_err();
        assert_eq!(
            e.message(),
            format!(
                "1 validation error detected: Value '{text}' at 'filterPattern' failed to satisfy \
                 constraint: Member must have length less than or equal to 1024"
            )
        );
        let rendered = e.to_string();
        let lines: Vec<&str> = rendered.lines().collect();
        assert_eq!(
            lines[0],
            format!(
                "error[pattern-too-long]: 1 validation error detected: Value '{}…' at \
                 'filterPattern' failed to satisfy constraint: Member must have length less than \
                 or equal to 1024",
                "a".repeat(120)
            )
        );
        assert_eq!(lines[1], " --> filterPattern:2:24");
        assert!(
            lines[4].trim_start_matches([' ', '|']).starts_with('^'),
            "{rendered}"
        );
        assert_eq!(
            lines[5],
            "  = help: this pattern has 2001 characters; split it into several filters"
        );
        // A short value is echoed whole, line breaks shown as spaces.
        assert_eq!(echoed("a\nb"), "a b");
    }

    #[test]
    fn renders_the_line_of_the_span_in_a_multi_line_pattern() {
        let text = "{ $.a = 1 &&\n  $.b = }";
        let e = crate::parse(text).unwrap_err();
        assert_eq!(e.line_column(), (2, 9));
        assert_eq!(
            e.to_string(),
            "error[syntax]: expected a value (a string, a number, * or a %regex%), found '}'\n \
             --> filterPattern:2:9\n  |\n2 |   $.b = }\n  |         ^"
        );
    }
}
