//! Pretty-prints JSON text without parsing it into a tree, so the event view
//! shows keys in the order they were written and numbers exactly as stored
//! (a `serde_json::Value` would sort keys and could reformat numbers).

/// Indents valid JSON text by two spaces per level.
pub fn pretty_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len() * 2);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = json.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.extend(std::iter::repeat_n("  ", depth));
    };
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                let closing = if c == '{' { '}' } else { ']' };
                while chars.peek().is_some_and(|next| next.is_whitespace()) {
                    chars.next();
                }
                if chars.peek() == Some(&closing) {
                    out.push(closing);
                    chars.next();
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::pretty_json;

    #[test]
    fn indents_objects_and_arrays_keeping_key_order() {
        assert_eq!(
            pretty_json(r#"{"b":1,"a":[true,null],"e":{},"f":[ ]}"#),
            "{\n  \"b\": 1,\n  \"a\": [\n    true,\n    null\n  ],\n  \"e\": {},\n  \"f\": []\n}"
        );
    }

    #[test]
    fn leaves_strings_and_scalars_alone() {
        assert_eq!(pretty_json(r#""a,b:{\"}""#), r#""a,b:{\"}""#);
        assert_eq!(pretty_json("1.50e3"), "1.50e3");
        assert_eq!(pretty_json(r#"{"k":"x\\"}"#), "{\n  \"k\": \"x\\\\\"\n}");
    }
}
