use proptest::prelude::*;

use super::ast::*;
use super::*;

fn canonical(pattern: &str) -> String {
    match parse(pattern) {
        Ok(ast) => ast.to_string(),
        Err(e) => panic!("{pattern:?} should parse:\n{e}"),
    }
}

fn code(pattern: &str) -> &'static str {
    match parse(pattern) {
        Ok(ast) => panic!("{pattern:?} should be rejected, parsed as {ast:?}"),
        Err(e) => e.code(),
    }
}

fn stripped(mut ast: Ast) -> Ast {
    ast.clear_spans();
    ast
}

#[test]
fn kind_is_chosen_by_the_first_non_blank_character() {
    for (pattern, kind) in [
        ("", PatternKind::MatchAll),
        (" \t\n", PatternKind::MatchAll),
        ("ERROR", PatternKind::Terms),
        ("  %ERR[O]R%", PatternKind::Regex),
        ("ERROR %x%", PatternKind::Regex),
        (" ERROR ", PatternKind::Terms),
        ("{ $.a = 1 }", PatternKind::Json),
        ("[a, b]", PatternKind::Delimited),
    ] {
        assert_eq!(parse(pattern).map(|a| a.kind()), Ok(kind), "{pattern:?}");
    }
    let lenient = Dialect {
        allow_blanks_around_brackets: true,
        ..Dialect::default()
    };
    for (pattern, kind) in [
        (" { $.a = 1 } ", PatternKind::Json),
        ("\n[a, b]\n", PatternKind::Delimited),
    ] {
        assert_eq!(code(pattern), "blank-around-brackets", "{pattern:?}");
        let ast = parse_with(pattern, &lenient);
        assert_eq!(ast.map(|a| a.kind()), Ok(kind), "{pattern:?}");
    }
}

/// Issue 18: AWS refused `" {$.ThisFlag IS TRUE} "` (`InvalidParameterException`), and its
/// message for a missing brace speaks of the pattern's first and last characters. The error
/// points at the blanks before the bracket, or else at those after the pattern.
#[test]
fn blanks_around_brackets_are_rejected_where_they_are() {
    for (pattern, span) in [
        (" {$.ThisFlag IS TRUE} ", Span::new(0, 1)),
        ("{$.ThisFlag IS TRUE}\t\n", Span::new(20, 22)),
        ("  [a, b]", Span::new(0, 2)),
        ("[a, b] ", Span::new(6, 7)),
    ] {
        let e = parse(pattern).unwrap_err();
        assert_eq!(
            (e.code(), e.span()),
            ("blank-around-brackets", span),
            "{pattern:?}"
        );
    }
    // Blanks only, and blanks around terms, are no JSON or delimited pattern.
    assert_eq!(parse(" ").map(|a| a.kind()), Ok(PatternKind::MatchAll));
    assert_eq!(parse(" \"{\" ").map(|a| a.kind()), Ok(PatternKind::Terms));
}

#[test]
fn canonical_forms() {
    for (pattern, printed) in [
        ("ERROR  -WARN ?\"a \\\"b\\\"\"", r#"ERROR -WARN ?"a \"b\"""#),
        ("- \"cwlogs.push.publisher\"", r#"-"cwlogs.push.publisher""#),
        ("request-id-123", "request -id -123"),
        (
            "{($.eventSource=kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion))}",
            r#"{ $.eventSource = "kms.amazonaws.com" && ($.eventName = "DisableKey" || $.eventName = "ScheduleKeyDeletion") }"#,
        ),
        (
            "{ $.a = 1 && $.b = 2 || $.c IS NULL }",
            "{ $.a = 1 && $.b = 2 || $.c IS NULL }",
        ),
        (
            "{ ($.a = 1 && $.b = 2) && $.c NOT EXISTS }",
            "{ ($.a = 1 && $.b = 2) && $.c NOT EXISTS }",
        ),
        ("{ ((($.a = +1e3))) }", "{ $.a = +1e3 }"),
        (
            "{ $.['cluster.name'][0][*].x-y != %a b% }",
            "{ $.['cluster.name'][0][*].x-y != %a b% }",
        ),
        (
            "{ $.sourceIPAddress != 123.123.* }",
            r#"{ $.sourceIPAddress != "123.123.*" }"#,
        ),
        ("{$.latency = *}", r#"{ $.latency = "*" }"#),
        (
            "[..., request=*.html*, status_code=4*,]",
            r#"[..., request = "*.html*", status_code = "4*", ]"#,
        ),
        (
            "[w1!=ERROR&&w1!=WARN, w2]",
            r#"[w1 != "ERROR" && w1 != "WARN", w2]"#,
        ),
        ("[ a = 1 || a = 2 && a = 3 ]", "[a = 1 || a = 2 && a = 3]"),
        ("[]", "[]"),
        ("[ , ]", "[, ]"),
    ] {
        assert_eq!(canonical(pattern), printed, "{pattern}");
        assert_eq!(
            canonical(printed),
            printed,
            "canonical form is a fixed point"
        );
    }
}

#[test]
fn spans_point_at_the_source() {
    let pattern = r#"  { $.a.b = "x" || ($.c > 2) }  "#;
    let lenient = Dialect {
        allow_blanks_around_brackets: true,
        ..Dialect::default()
    };
    let Ok(Ast::Json(json)) = parse_with(pattern, &lenient) else {
        panic!("json")
    };
    assert_eq!(
        &pattern[json.span.start..json.span.end],
        r#"{ $.a.b = "x" || ($.c > 2) }"#
    );
    let Expr::Or(ops, span) = &json.expr else {
        panic!("or")
    };
    assert_eq!(
        &pattern[span.start..span.end],
        r#"$.a.b = "x" || ($.c > 2)"#
    );
    let Expr::Cond(first) = &ops[0] else {
        panic!("cond")
    };
    assert_eq!(
        &pattern[first.selector.span.start..first.selector.span.end],
        "$.a.b"
    );
    let Test::Compare(cmp) = &first.test else {
        panic!("compare")
    };
    assert_eq!(&pattern[cmp.value_span.start..cmp.value_span.end], r#""x""#);
    let Expr::Cond(second) = &ops[1] else {
        panic!("cond")
    };
    assert_eq!(&pattern[second.span.start..second.span.end], "$.c > 2");

    let pattern = "ERROR ?\"a b\" -%x%";
    let Ok(Ast::Terms(terms)) = parse(pattern) else {
        panic!("terms")
    };
    let texts: Vec<&str> = terms
        .terms
        .iter()
        .map(|t| &pattern[t.span.start..t.span.end])
        .collect();
    assert_eq!(texts, ["ERROR", "?\"a b\"", "-%x%"]);

    let pattern = "[ip, ..., status = 4* || status = 5*]";
    let Ok(Ast::Delimited(d)) = parse(pattern) else {
        panic!("delimited")
    };
    let texts: Vec<&str> = d
        .fields
        .iter()
        .map(|f| &pattern[f.span.start..f.span.end])
        .collect();
    assert_eq!(texts, ["ip", "...", "status = 4* || status = 5*"]);
}

#[test]
fn selectors() {
    let steps = |p: &str| match parse(p) {
        Ok(Ast::Json(j)) => match j.expr {
            Expr::Cond(c) => c.selector.steps,
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    };
    use Step::*;
    assert_eq!(
        steps("{ $.a.b = 1 }"),
        [Member("a".into()), Member("b".into())]
    );
    assert_eq!(
        steps("{ $.coordinates[0][1] = 1 }"),
        [Member("coordinates".into()), Index(0), Index(1)]
    );
    assert_eq!(steps("{ $.* = 1 }"), [AnyMember]);
    assert_eq!(
        steps("{ $.a[*].id = 1 }"),
        [Member("a".into()), AnyIndex, Member("id".into())]
    );
    assert_eq!(
        steps("{ $.['cluster.name'] = 1 }"),
        [Member("cluster.name".into())]
    );
    assert_eq!(
        steps("{ $.a['@timestamp'] = 1 }"),
        [Member("a".into()), Member("@timestamp".into())]
    );
    assert_eq!(
        steps("{ $.detail-type = 1 }"),
        [Member("detail-type".into())]
    );
}

#[test]
fn values() {
    let value = |p: &str| match parse(p) {
        Ok(Ast::Json(JsonPattern {
            expr: Expr::Cond(c),
            ..
        })) => match c.test {
            Test::Compare(cmp) => cmp.value,
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    };
    let num = |text: &str, value: f64| {
        Value::Number(Number {
            text: text.into(),
            value,
        })
    };
    assert_eq!(value("{ $.a = 400 }"), num("400", 400.0));
    assert_eq!(value("{ $.a = -5 }"), num("-5", -5.0));
    assert_eq!(value("{ $.a = 1e+3 }"), num("1e+3", 1000.0));
    assert_eq!(value("{ $.a = \"400\" }"), Value::Str("400".into()));
    assert_eq!(value("{ $.a = 10.0.* }"), Value::Str("10.0.*".into()));
    assert_eq!(
        value("{ $.a = \"%bar%\" }"),
        Value::Str("%bar%".into()),
        "quoted % is text"
    );
    assert_eq!(
        value(r#"{ $.a = "a\"b\\c\n" }"#),
        Value::Str("a\"b\\c\\n".into())
    );
    assert!(matches!(value("{ $.a = %ba[rz]% }"), Value::Regex(_)));
}

#[test]
fn rejections_name_the_right_kind() {
    for (pattern, expected) in [
        ("?Status: timeout", "invalid-character"),
        ("level\\\":\\\"error", "invalid-character"),
        ("ERROR -", "missing-term"),
        ("\"abc", "unterminated-string"),
        ("%abc", "unterminated-regex"),
        ("%%", "empty-regex"),
        ("%(a|b)%", "regex-character"),
        ("%something!%", "regex-character"),
        ("%café%", "regex-non-ascii"),
        (
            "{ $.a = %x% || $.b = %y% || $.c = %z% }",
            "too-many-regexes",
        ),
        ("[a = %x%, b = %y%, c = %z%]", "too-many-regexes"),
        ("{ $.a[*].b[*] = 1 }", "selector-wildcards"),
        ("{ $.a IS NOT NULL }", "is-not-unsupported"),
        ("{ $.x EXISTS }", "exists-unsupported"),
        ("{ $.x is null }", "lowercase-keyword"),
        ("{ $.x not exists }", "lowercase-keyword"),
        ("{ $.x exists }", "exists-unsupported"),
        ("{ $.x is not null }", "is-not-unsupported"),
        ("{ $.x IS null }", "lowercase-keyword"),
        ("{ $.x IS MAYBE }", "syntax"),
        ("[, 1]", "numeric-field-name"),
        ("[a, 2 = 3]", "numeric-field-name"),
        ("[a, b = 1 && c > 2]", "cross-field-condition"),
        ("[w1=ERROR || W1=WARNING, w2]", "cross-field-condition"),
        ("[a, a]", "duplicate-field-name"),
        ("[..., a, ...]", "multiple-ellipses"),
        ("{ $.a = 1", "unclosed-brace"),
        ("{ $.a = 1 } x", "unclosed-brace"),
        ("{", "unclosed-brace"),
        ("[a, b", "unclosed-bracket"),
        ("{ ($.a = 1 }", "unbalanced-parentheses"),
        ("{ $.a = 1) }", "unbalanced-parentheses"),
        ("{ status = \"401\" }", "selector-without-root"),
        ("{ $[0] = 1 }", "invalid-selector"),
        ("{ $.a[x] = 1 }", "invalid-selector"),
        ("{ $. = 1 }", "invalid-selector"),
        ("{ $.\"detail-type\" = 1 }", "invalid-character"),
        ("{ $.@timestamp = 1 }", "invalid-character"),
        ("{ $.a > abc }", "numeric-operator-needs-number"),
        ("{ $.a > \"1\" }", "numeric-operator-needs-number"),
        ("{ $.a > %1% }", "regex-operator"),
        ("{ $.a = }", "syntax"),
        ("{ $.a = 1 $.b = 2 }", "syntax"),
        (
            "{ $.errorMessage = Failed authentication }",
            "unquoted-blank",
        ),
        ("[a, b = not found, c]", "unquoted-blank"),
        ("{ $.a = 1 AND $.b = 2 }", "syntax"),
        ("{ $.eventNa me = x }", "syntax"),
        ("{ $.a = ${ALARM-NOT-IP} }", "invalid-character"),
        ("{ $.a = 1, $.b = 2 }", "invalid-character"),
        ("{ }", "syntax"),
        ("{ $.a = 1 } }", "syntax"),
        ("[a = (1)]", "syntax"),
    ] {
        assert_eq!(code(pattern), expected, "{pattern}");
    }
}

#[test]
fn a_selector_missing_its_dot_says_so() {
    let err = parse("{ ($eventName = DetachRolePolicy) }").unwrap_err();
    assert_eq!(err.code(), "invalid-selector");
    assert_eq!(err.span(), Span::new(3, 13));
    assert_eq!(
        err.message(),
        "invalid property selector: '$eventName' lacks the '.' after '$': write '$.eventName'"
    );
}

#[test]
fn an_unquoted_value_with_blanks_gets_the_quoted_fix() {
    let pattern = "{ ($.eventName = ConsoleLogin) && ($.errorMessage = Failed authentication) }";
    let err = parse(pattern).unwrap_err();
    assert_eq!(
        &pattern[err.span().start..err.span().end],
        "Failed authentication"
    );
    assert_eq!(
        err.help().as_deref(),
        Some("write \"Failed authentication\"")
    );
}

#[test]
fn single_quoted_values_get_a_hint() {
    let err = parse("{ $.userIdentity.type = 'Root' }").unwrap_err();
    assert_eq!(err.message(), "Invalid character(s) in term '''");
    assert!(err.help().unwrap_or_default().contains("double quotes"));
}

#[test]
fn length_limit_counts_characters_not_bytes() {
    let at_limit = "é".repeat(MAX_PATTERN_CHARS);
    assert!(parse(&at_limit).is_ok());
    let over = format!("{at_limit}é");
    let err = parse(&over).unwrap_err();
    assert_eq!(err.code(), "pattern-too-long");
    assert_eq!(err.span().start, at_limit.len());
}

#[test]
fn nesting_is_limited_and_never_overflows_the_stack() {
    let nested = |depth: usize| format!("{{ {}$.a = 1{} }}", "(".repeat(depth), ")".repeat(depth));
    // 1 MiB is the default stack of a wasm module; the limit must fit in it even unoptimised.
    let result = std::thread::Builder::new()
        .stack_size(1024 * 1024)
        .spawn(move || {
            (
                parse(&nested(MAX_NESTING)).is_ok(),
                parse(&nested(MAX_NESTING + 1)).map_err(|e| e.code()),
            )
        })
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(result, (true, Err("nesting-too-deep")));
}

#[test]
fn hyphen_split_follows_the_dialect() {
    let dialect = Dialect {
        split_hyphenated_terms: false,
        ..Dialect::default()
    };
    let ast = parse_with("request-id-123", &dialect).unwrap();
    let Ast::Terms(t) = ast else { panic!() };
    assert_eq!(t.terms.len(), 1);
    assert_eq!(t.terms[0].text, TermText::Word("request-id-123".into()));
}

// ---- parse(print(ast)) == ast -------------------------------------------------------------------

fn quoted_text() -> impl Strategy<Value = String> {
    prop_oneof![
        r#"[a-zA-Z0-9 "\\*%.:,()\[\]{}é-]{0,8}"#,
        any::<String>().prop_map(|s| s.chars().take(8).collect())
    ]
}

fn regex_source() -> impl Strategy<Value = String> {
    prop_oneof![
        r"[a-zA-Z0-9 _#=@/;,:.-]{1,8}",
        r"[a-zA-Z0-9 _#=@/;,:^$?\[\]{}|\\*+.-]{1,8}"
    ]
    .prop_filter("well-formed regex", |s| super::regex::check(s).is_ok())
}

fn number() -> impl Strategy<Value = Number> {
    r"[+-]?([0-9]{1,4}(\.[0-9]{0,3})?|\.[0-9]{1,3})([eE][+-]?[0-9]{1,2})?".prop_map(|text| {
        let value = text.parse().unwrap_or(f64::NAN);
        Number { text, value }
    })
}

fn term() -> impl Strategy<Value = Term> {
    let modifier = prop_oneof![
        Just(Modifier::Required),
        Just(Modifier::Optional),
        Just(Modifier::Excluded)
    ];
    let text = prop_oneof![
        r"[a-zA-Z0-9_.*/@#=!'&|<>^;~+é][a-zA-Z0-9_.*/@#=!'&|<>^;~+%?é]{0,8}"
            .prop_map(TermText::Word),
        quoted_text().prop_map(TermText::Quoted),
        regex_source().prop_map(|source| TermText::Regex(Regex {
            source,
            span: Span::default()
        })),
    ];
    (modifier, text).prop_map(|(modifier, text)| Term {
        modifier,
        text,
        span: Span::default(),
    })
}

fn comparison() -> impl Strategy<Value = Comparison> {
    let cmp = |op, value| Comparison {
        op,
        value,
        value_span: Span::default(),
    };
    let eq_ne = prop_oneof![Just(Op::Eq), Just(Op::Ne)];
    let any_op = prop_oneof![
        Just(Op::Eq),
        Just(Op::Ne),
        Just(Op::Lt),
        Just(Op::Le),
        Just(Op::Gt),
        Just(Op::Ge)
    ];
    prop_oneof![
        (eq_ne.clone(), quoted_text()).prop_map(move |(op, s)| cmp(op, Value::Str(s))),
        (any_op, number()).prop_map(move |(op, n)| cmp(op, Value::Number(n))),
        (eq_ne, regex_source()).prop_map(move |(op, source)| cmp(
            op,
            Value::Regex(Regex {
                source,
                span: Span::default()
            })
        )),
    ]
}

fn selector() -> impl Strategy<Value = Selector> {
    let name = prop_oneof![r"[a-zA-Z0-9_-]{1,6}", r"[^']{0,6}"];
    let first = prop_oneof![name.clone().prop_map(Step::Member), Just(Step::AnyMember)];
    let step = prop_oneof![
        name.prop_map(Step::Member),
        (0usize..20).prop_map(Step::Index),
        Just(Step::AnyMember),
        Just(Step::AnyIndex),
    ];
    (first, proptest::collection::vec(step, 0..4))
        .prop_map(|(first, rest)| Selector {
            steps: std::iter::once(first).chain(rest).collect(),
            span: Span::default(),
        })
        .prop_filter("one wildcard per selector", |s| s.wildcards() <= 1)
}

fn condition() -> impl Strategy<Value = Expr> {
    let test = prop_oneof![
        comparison().prop_map(Test::Compare),
        Just(Test::IsNull),
        Just(Test::IsTrue),
        Just(Test::IsFalse),
        Just(Test::NotExists),
    ];
    (selector(), test).prop_map(|(selector, test)| {
        Expr::Cond(Condition {
            selector,
            test,
            span: Span::default(),
        })
    })
}

fn expr() -> impl Strategy<Value = Expr> {
    condition().prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 2..4)
                .prop_map(|xs| Expr::And(xs, Span::default())),
            proptest::collection::vec(inner, 2..4).prop_map(|xs| Expr::Or(xs, Span::default())),
        ]
    })
}

fn within_quotas(regexes: usize, wildcard_selectors: usize) -> bool {
    regexes <= MAX_REGEXES && wildcard_selectors <= MAX_WILDCARD_SELECTORS
}

fn json_pattern() -> impl Strategy<Value = Ast> {
    expr()
        .prop_filter("AWS quotas", |e| {
            let conds = e.conditions();
            let regexes = conds
                .iter()
                .filter(|c| {
                    matches!(
                        &c.test,
                        Test::Compare(Comparison {
                            value: Value::Regex(_),
                            ..
                        })
                    )
                })
                .count();
            within_quotas(
                regexes,
                conds.iter().filter(|c| c.selector.wildcards() > 0).count(),
            )
        })
        .prop_map(|expr| {
            Ast::Json(JsonPattern {
                expr,
                span: Span::default(),
            })
        })
}

fn field_expr() -> impl Strategy<Value = FieldExpr> {
    let cond = comparison().prop_map(FieldExpr::Cond).boxed();
    let and = proptest::collection::vec(cond.clone(), 2..4)
        .prop_map(FieldExpr::And)
        .boxed();
    prop_oneof![
        cond.clone(),
        and.clone(),
        proptest::collection::vec(prop_oneof![cond, and], 2..4).prop_map(FieldExpr::Or),
    ]
}

fn delimited_pattern() -> impl Strategy<Value = Ast> {
    let field = prop_oneof![
        Just(FieldKind::Empty),
        Just(FieldKind::Ellipsis),
        r"[a-zA-Z0-9_-]{1,6}".prop_map(FieldKind::Named),
        (r"[a-zA-Z0-9_-]{1,6}", field_expr())
            .prop_map(|(name, expr)| FieldKind::Condition { name, expr }),
    ];
    proptest::collection::vec(field, 0..6)
        .prop_filter("valid field list", |fields| {
            let names: Vec<&str> = fields.iter().filter_map(FieldKind::name).collect();
            let unique = names
                .iter()
                .enumerate()
                .all(|(i, n)| !names[..i].contains(n));
            let named = names.iter().all(|n| !n.chars().all(|c| c.is_ascii_digit()));
            let ellipses = fields
                .iter()
                .filter(|f| matches!(f, FieldKind::Ellipsis))
                .count();
            let regexes = fields
                .iter()
                .filter_map(|f| match f {
                    FieldKind::Condition { expr, .. } => Some(expr.comparisons()),
                    _ => None,
                })
                .flatten()
                .filter(|c| matches!(c.value, Value::Regex(_)))
                .count();
            let lone_empty = fields.len() == 1 && fields[0] == FieldKind::Empty;
            unique && named && ellipses <= 1 && within_quotas(regexes, 0) && !lone_empty
        })
        .prop_map(|fields| {
            let fields = fields
                .into_iter()
                .map(|kind| Field {
                    kind,
                    span: Span::default(),
                })
                .collect();
            Ast::Delimited(DelimitedPattern {
                fields,
                span: Span::default(),
            })
        })
}

fn any_pattern() -> impl Strategy<Value = Ast> {
    prop_oneof![
        Just(Ast::MatchAll(Span::default())),
        proptest::collection::vec(term(), 1..5).prop_map(|terms| Ast::Terms(TermPattern {
            terms,
            span: Span::default()
        })),
        json_pattern(),
        delimited_pattern(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn print_then_parse_gives_back_the_tree(ast in any_pattern()) {
        let printed = ast.to_string();
        prop_assume!(printed.chars().count() <= MAX_PATTERN_CHARS);
        match parse(&printed) {
            Ok(parsed) => prop_assert_eq!(stripped(parsed), ast, "printed as {}", printed),
            Err(e) => prop_assert!(false, "printed form does not parse:\n{}", e),
        }
    }

    #[test]
    fn parsing_arbitrary_text_never_panics(text in "\\PC{0,64}") {
        if let Ok(ast) = parse(&text) {
            let printed = ast.to_string();
            let reparsed = parse(&printed);
            prop_assert!(reparsed.is_ok(), "{:?} printed as {:?} does not parse", text, printed);
            prop_assert_eq!(stripped(reparsed.unwrap()), stripped(ast));
        }
    }

    #[test]
    fn parsing_pattern_like_text_round_trips(text in r#"[{}\[\]()$.*a-c0-9 "=!<>&|%,?-]{0,40}"#) {
        if let Ok(ast) = parse(&text) {
            let printed = ast.to_string();
            let reparsed = parse(&printed);
            prop_assert!(reparsed.is_ok(), "{:?} printed as {:?} does not parse", text, printed);
            prop_assert_eq!(stripped(reparsed.unwrap()), stripped(ast));
        }
    }
}
