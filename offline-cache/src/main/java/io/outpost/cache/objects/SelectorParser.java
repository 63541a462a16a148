package io.outpost.cache.objects;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Pattern;

import io.outpost.cache.objects.Selector.Operator;
import io.outpost.cache.objects.Selector.Requirement;

/**
 * Parsers for label and field selectors, following the grammar of Kubernetes' {@code labels.Parse}
 * and {@code fields.ParseSelector} so that whatever a node component sends online parses the same
 * way offline. Differences: the label operators {@code <} and {@code >} are rejected (no node
 * component uses them), and only {@link Selector#SUPPORTED_FIELDS} may be named in field selectors.
 */
final class SelectorParser {

    private static final Pattern DNS_SUBDOMAIN =
            Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final Pattern LABEL_NAME = Pattern.compile("([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]");
    private static final int MAX_NAME = 63;
    private static final int MAX_PREFIX = 253;

    private SelectorParser() {
    }

    // ------------------------------------------------------------------------------------------
    // Label selectors

    static Selector parseLabels(String text) {
        if (text == null || text.isBlank()) {
            return Selector.everything();
        }
        LabelLexer lexer = new LabelLexer(text);
        List<Requirement> requirements = new ArrayList<>();
        while (true) {
            requirements.add(labelRequirement(lexer));
            Token after = lexer.next();
            if (after.type == TokenType.END) {
                return Selector.of(requirements);
            }
            if (after.type != TokenType.COMMA) {
                throw lexer.error("expected ',' or the end of the selector", after);
            }
        }
    }

    private static Requirement labelRequirement(LabelLexer lexer) {
        Token first = lexer.next();
        if (first.type == TokenType.BANG) {
            return new Requirement(labelKey(lexer, lexer.next()), Operator.DOES_NOT_EXIST, List.of());
        }
        String key = labelKey(lexer, first);
        Token operator = lexer.peek();
        if (operator.type == TokenType.END || operator.type == TokenType.COMMA) {
            return new Requirement(key, Operator.EXISTS, List.of());
        }
        lexer.next();
        return switch (operator.type) {
            case EQUALS, DOUBLE_EQUALS -> new Requirement(key, Operator.EQUALS, List.of(labelValue(lexer)));
            case NOT_EQUALS -> new Requirement(key, Operator.NOT_EQUALS, List.of(labelValue(lexer)));
            case IDENTIFIER -> switch (operator.text) {
                case "in" -> new Requirement(key, Operator.IN, labelValueSet(lexer));
                case "notin" -> new Requirement(key, Operator.NOT_IN, labelValueSet(lexer));
                default -> throw lexer.error("expected an operator (=, ==, !=, in, notin) after key '" + key + "'", operator);
            };
            case UNSUPPORTED -> throw lexer.error("operator '" + operator.text + "' is not supported"
                    + " (supported: =, ==, !=, in, notin, exists, !exists)", operator);
            default -> throw lexer.error("expected an operator (=, ==, !=, in, notin) after key '" + key + "'", operator);
        };
    }

    private static String labelKey(LabelLexer lexer, Token token) {
        if (token.type != TokenType.IDENTIFIER) {
            throw lexer.error("expected a label key", token);
        }
        String problem = labelKeyProblem(token.text);
        if (problem != null) {
            throw lexer.error("invalid label key '" + token.text + "': " + problem, token);
        }
        return token.text;
    }

    private static String labelValue(LabelLexer lexer) {
        Token token = lexer.peek();
        if (token.type == TokenType.END || token.type == TokenType.COMMA || token.type == TokenType.CLOSE) {
            return ""; // "a=" selects the empty value, as in Kubernetes
        }
        lexer.next();
        if (token.type != TokenType.IDENTIFIER) {
            throw lexer.error("expected a label value", token);
        }
        String problem = labelValueProblem(token.text);
        if (problem != null) {
            throw lexer.error("invalid label value '" + token.text + "': " + problem, token);
        }
        return token.text;
    }

    private static List<String> labelValueSet(LabelLexer lexer) {
        Token open = lexer.next();
        if (open.type != TokenType.OPEN) {
            throw lexer.error("expected '(' to start the set of values", open);
        }
        if (lexer.peek().type == TokenType.CLOSE) {
            throw lexer.error("the set of values of 'in' and 'notin' must not be empty", lexer.peek());
        }
        List<String> values = new ArrayList<>();
        while (true) {
            values.add(labelValue(lexer));
            Token after = lexer.next();
            if (after.type == TokenType.CLOSE) {
                return values;
            }
            if (after.type != TokenType.COMMA) {
                throw lexer.error("expected ',' or ')' in the set of values", after);
            }
        }
    }

    /** Kubernetes' qualified-name rule: optional DNS subdomain prefix and '/', then a name. */
    private static String labelKeyProblem(String key) {
        int slash = key.indexOf('/');
        String name = slash < 0 ? key : key.substring(slash + 1);
        if (slash >= 0) {
            String prefix = key.substring(0, slash);
            if (prefix.isEmpty() || prefix.length() > MAX_PREFIX || !DNS_SUBDOMAIN.matcher(prefix).matches()) {
                return "the prefix must be a DNS subdomain (lowercase letters, digits, '-' and '.', at most 253 characters)";
            }
        }
        if (name.isEmpty() || name.length() > MAX_NAME || !LABEL_NAME.matcher(name).matches()) {
            return "the name must be 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit";
        }
        return null;
    }

    private static String labelValueProblem(String value) {
        if (value.length() > MAX_NAME || !LABEL_NAME.matcher(value).matches()) {
            return "a value must be at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit";
        }
        return null;
    }

    private enum TokenType { IDENTIFIER, BANG, EQUALS, DOUBLE_EQUALS, NOT_EQUALS, OPEN, CLOSE, COMMA, UNSUPPORTED, END }

    private record Token(TokenType type, String text, int position) {
    }

    /** Tokens as Kubernetes' label lexer cuts them: specials {@code ! = , ( ) < >}, whitespace, identifiers. */
    private static final class LabelLexer {
        private static final String SPECIAL = "!=,()<>";
        private final String text;
        private int position;
        private Token peeked;

        LabelLexer(String text) {
            this.text = text;
        }

        Token peek() {
            if (peeked == null) {
                peeked = scan();
            }
            return peeked;
        }

        Token next() {
            Token token = peek();
            peeked = null;
            return token;
        }

        private Token scan() {
            while (position < text.length() && Character.isWhitespace(text.charAt(position))) {
                position++;
            }
            int start = position;
            if (position == text.length()) {
                return new Token(TokenType.END, "", start);
            }
            char c = text.charAt(position++);
            boolean doubled = position < text.length() && text.charAt(position) == '=';
            switch (c) {
                case '!':
                    return doubled ? token(TokenType.NOT_EQUALS, start, 1) : new Token(TokenType.BANG, "!", start);
                case '=':
                    return doubled ? token(TokenType.DOUBLE_EQUALS, start, 1) : new Token(TokenType.EQUALS, "=", start);
                case ',':
                    return new Token(TokenType.COMMA, ",", start);
                case '(':
                    return new Token(TokenType.OPEN, "(", start);
                case ')':
                    return new Token(TokenType.CLOSE, ")", start);
                case '<':
                case '>':
                    return new Token(TokenType.UNSUPPORTED, String.valueOf(c), start);
                default:
                    while (position < text.length() && !Character.isWhitespace(text.charAt(position))
                            && SPECIAL.indexOf(text.charAt(position)) < 0) {
                        position++;
                    }
                    return new Token(TokenType.IDENTIFIER, text.substring(start, position), start);
            }
        }

        private Token token(TokenType type, int start, int extra) {
            position += extra;
            return new Token(type, text.substring(start, position), start);
        }

        IllegalArgumentException error(String problem, Token at) {
            String found = at.type == TokenType.END ? "the end of the selector" : "'" + at.text + "'";
            return new IllegalArgumentException("Invalid label selector \"" + text + "\": " + problem
                    + " at character " + (at.position + 1) + ", found " + found);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Field selectors

    private static final String[] FIELD_OPERATORS = {"!=", "==", "="};

    static Selector parseFields(String text) {
        if (text == null || text.isBlank()) {
            return Selector.everything();
        }
        List<Requirement> requirements = new ArrayList<>();
        for (String term : splitUnescaped(text)) {
            requirements.add(fieldRequirement(text, term));
        }
        return Selector.of(requirements);
    }

    private static Requirement fieldRequirement(String text, String term) {
        if (term.isEmpty()) {
            throw fieldError(text, "empty requirement (a leading, trailing or doubled ',')");
        }
        for (int i = 0; i < term.length(); i++) {
            if (term.charAt(i) == '\\') {
                i++; // an escaped character is never an operator
                continue;
            }
            for (String operator : FIELD_OPERATORS) {
                if (term.startsWith(operator, i)) {
                    return fieldRequirement(text, term.substring(0, i), operator, term.substring(i + operator.length()));
                }
            }
        }
        throw fieldError(text, "requirement '" + term + "' has no operator (expected =, == or !=)");
    }

    private static Requirement fieldRequirement(String text, String field, String operator, String rawValue) {
        if (field.isEmpty()) {
            throw fieldError(text, "missing field name before '" + operator + "'");
        }
        if (!Selector.SUPPORTED_FIELDS.contains(field)) {
            throw fieldError(text, "field '" + field + "' is not supported; the offline cache selects on "
                    + String.join(", ", new TreeSet<>(Selector.SUPPORTED_FIELDS)));
        }
        String value = unescape(text, rawValue);
        return new Requirement(field, operator.equals("!=") ? Operator.NOT_EQUALS : Operator.EQUALS, List.of(value));
    }

    /** Splits on commas that are not escaped with a backslash; escapes stay in the parts. */
    private static List<String> splitUnescaped(String text) {
        List<String> parts = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == ',') {
                parts.add(text.substring(start, i));
                start = i + 1;
            }
        }
        parts.add(text.substring(start));
        return parts;
    }

    /** Kubernetes' {@code fields.UnescapeValue}: {@code \\ \, \=} are escapes; a bare {@code ,} or {@code =} is an error. */
    private static String unescape(String text, String raw) {
        StringBuilder value = new StringBuilder(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '\\') {
                if (i + 1 == raw.length() || "\\,=".indexOf(raw.charAt(i + 1)) < 0) {
                    throw fieldError(text, "invalid escape sequence '" + raw.substring(i, Math.min(i + 2, raw.length()))
                            + "' in value '" + raw + "' (only \\\\, \\, and \\= are allowed)");
                }
                value.append(raw.charAt(++i));
            } else if (c == '=' || c == ',') {
                throw fieldError(text, "unescaped '" + c + "' in value '" + raw + "' (write \\" + c + ")");
            } else {
                value.append(c);
            }
        }
        return value.toString();
    }

    private static IllegalArgumentException fieldError(String text, String problem) {
        return new IllegalArgumentException("Invalid field selector \"" + text + "\": " + problem);
    }
}
