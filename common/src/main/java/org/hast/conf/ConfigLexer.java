package org.hast.conf;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The hast.conf scanner, rule for rule the reference's token.l (spec §1.1):
 * <ul>
 * <li>a word is a maximal run of {@code [a-zA-Z0-9.\-_/:\[\]]};</li>
 * <li>a word of digits only is {@code NUM}, a word spelled exactly like a keyword is that
 *     keyword, anything else is {@code STR} (longest match, keyword only on an exact tie);</li>
 * <li>{@code #} starts a comment that runs to the end of the line;</li>
 * <li>blanks and tabs separate words, a newline only counts the line;</li>
 * <li>{@code {} and {@code }} are tokens of their own.</li>
 * </ul>
 * The reference has no catch-all rule, so any other character ({@code ;}, {@code "}, the
 * {@code \r} of CRLF files, NUL, bytes above 0x7f) is echoed by flex and skipped: it splits
 * words but is no error. A31: we skip it too, and record a warning with file and line.
 *
 * <p>One deliberate difference: flex's {@code #.*$} needs a newline after the comment, so on
 * FreeBSD a comment on a last line without newline is scanned as words. Here it is a comment;
 * that only accepts more files, never fewer.
 *
 * <p>Lines are 1-based (A1).
 */
final class ConfigLexer {
    /** Warnings kept one per ignored character up to this many; the rest are counted. */
    static final int MAX_LISTED_WARNINGS = 100;

    private final String text;
    private final String file;
    private final List<String> warnings = new ArrayList<>();
    private int pos;
    private int line = 1;
    private int ignoredCount;

    ConfigLexer(String text, String file) {
        this.text = text;
        this.file = file;
    }

    static boolean isWordChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '.' || c == '-' || c == '_' || c == '/' || c == ':' || c == '[' || c == ']';
    }

    /** The next token; {@link Token.Kind#EOF} (repeatedly) at the end. */
    Token next() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c == ' ' || c == '\t') {
                pos++;
            } else if (c == '\n') {
                line++;
                pos++;
            } else if (c == '#') {
                int end = text.indexOf('\n', pos);
                pos = end < 0 ? text.length() : end;
            } else if (c == '{') {
                pos++;
                return new Token(Token.Kind.LBRACE, "{", line);
            } else if (c == '}') {
                pos++;
                return new Token(Token.Kind.RBRACE, "}", line);
            } else if (isWordChar(c)) {
                return word();
            } else {
                ignore(c);
                pos++;
            }
        }
        return new Token(Token.Kind.EOF, "", lastLine());
    }

    private Token word() {
        int start = pos;
        boolean digitsOnly = true;
        while (pos < text.length() && isWordChar(text.charAt(pos))) {
            char c = text.charAt(pos);
            if (c < '0' || c > '9') {
                digitsOnly = false;
            }
            pos++;
        }
        String word = text.substring(start, pos);
        if (digitsOnly) {
            return new Token(Token.Kind.NUM, word, line);
        }
        Token.Kind keyword = Token.Kind.keyword(word);
        return new Token(keyword != null ? keyword : Token.Kind.STR, word, line);
    }

    /**
     * The line an end-of-file error is reported on: the last line that exists, i.e. not the
     * empty "line" after a final newline.
     */
    private int lastLine() {
        if (line > 1 && !text.isEmpty() && text.charAt(text.length() - 1) == '\n') {
            return line - 1;
        }
        return line;
    }

    private void ignore(char c) {
        ignoredCount++;
        if (ignoredCount <= MAX_LISTED_WARNINGS) {
            warnings.add(file + ":" + line + ": warning: ignoring character '" + escape(c) + "'");
        }
    }

    /** A printable, single-line spelling of {@code c} for a warning. */
    static String escape(char c) {
        switch (c) {
            case '\r':
                return "\\r";
            case '\t':
                return "\\t";
            case '\n':
                return "\\n";
            case '\'':
                return "\\'";
            case '\\':
                return "\\\\";
            default:
                break;
        }
        if (c >= 0x20 && c < 0x7f) {
            return String.valueOf(c);
        }
        if (c <= 0xff) {
            return String.format("\\x%02x", (int) c);
        }
        return String.format("\\u%04x", (int) c);
    }

    /** Warnings so far, with a closing count when more characters were ignored than listed. */
    List<String> warnings() {
        if (ignoredCount <= MAX_LISTED_WARNINGS) {
            return Collections.unmodifiableList(new ArrayList<>(warnings));
        }
        List<String> all = new ArrayList<>(warnings);
        all.add(file + ": warning: " + (ignoredCount - MAX_LISTED_WARNINGS)
                + " more ignored characters not listed");
        return Collections.unmodifiableList(all);
    }
}
