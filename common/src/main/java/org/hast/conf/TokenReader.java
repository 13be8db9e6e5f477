package org.hast.conf;

import java.util.List;

import org.hast.codec.ChecksumAlgorithm;
import org.hast.codec.Compression;

/**
 * The parser's view of the token stream: one token of lookahead, the readers for every kind
 * of statement value, and the error messages (spec §1.8 with 1-based lines, A1). Syntax
 * errors quote the token and say what was expected; semantic errors are reported on the line
 * of the value they are about, where the reference's yacc actions report them.
 */
final class TokenReader {
    /** Longest token quoted in a syntax error; longer ones are shortened. */
    private static final int MAX_QUOTED_TOKEN = 64;

    private final String file;
    private final ConfigLexer lexer;
    /** The lookahead token. */
    private Token tok;
    /** The token consumed last: semantic errors are reported on its line. */
    private Token previous;

    TokenReader(String text, String file) {
        this.file = file;
        this.lexer = new ConfigLexer(text, file);
        this.tok = lexer.next();
    }

    /** The lookahead token. */
    Token current() {
        return tok;
    }

    boolean atEnd() {
        return tok.kind() == Token.Kind.EOF;
    }

    List<String> warnings() {
        return lexer.warnings();
    }

    /** A STR argument; keywords and numbers are refused, as the reference's grammar does. */
    String argument(String expected) throws ConfigException {
        if (tok.kind() != Token.Kind.STR) {
            throw syntaxError(expected);
        }
        return take().text();
    }

    /** An argument that may be all digits too ({@code metrics 9457}). */
    String argumentOrNumber(String expected) throws ConfigException {
        if (tok.kind() != Token.Kind.STR && tok.kind() != Token.Kind.NUM) {
            throw syntaxError(expected);
        }
        return take().text();
    }

    String remoteValue() throws ConfigException {
        if (tok.kind() == Token.Kind.NONE) {
            advance();
            return ResourceConfig.REMOTE_NONE;
        }
        return argument("an address or none");
    }

    ReplicationMode replicationValue() throws ConfigException {
        switch (tok.kind()) {
            case FULLSYNC:
                advance();
                return ReplicationMode.FULLSYNC;
            case MEMSYNC:
                advance();
                return ReplicationMode.MEMSYNC;
            case ASYNC:
                advance();
                return ReplicationMode.ASYNC;
            default:
                throw syntaxError("fullsync, memsync or async");
        }
    }

    ChecksumAlgorithm checksumValue() throws ConfigException {
        switch (tok.kind()) {
            case NONE:
                advance();
                return ChecksumAlgorithm.NONE;
            case CRC32:
                advance();
                return ChecksumAlgorithm.CRC32;
            case SHA256:
                advance();
                return ChecksumAlgorithm.SHA256;
            default:
                throw syntaxError("none, crc32 or sha256");
        }
    }

    Compression compressionValue() throws ConfigException {
        switch (tok.kind()) {
            case NONE:
                advance();
                return Compression.NONE;
            case HOLE:
                advance();
                return Compression.HOLE;
            case LZF:
                advance();
                return Compression.LZF;
            default:
                throw syntaxError("none, hole or lzf");
        }
    }

    boolean booleanValue() throws ConfigException {
        switch (tok.kind()) {
            case ON:
                advance();
                return true;
            case OFF:
                advance();
                return false;
            default:
                throw syntaxError("on or off");
        }
    }

    /** {@code device} value: {@code none} is a keyword token, the others plain words. */
    DeviceMode deviceValue() throws ConfigException {
        if (tok.kind() == Token.Kind.NONE) {
            advance();
            return DeviceMode.NONE;
        }
        if (tok.kind() == Token.Kind.STR) {
            DeviceMode mode = DeviceMode.fromWord(tok.text());
            if (mode != null && mode != DeviceMode.NONE) {
                advance();
                return mode;
            }
        }
        throw syntaxError("auto, nbd, fuse, ggate or none");
    }

    /** {@code syncmode} value: {@code plain} or {@code checksum} (a keyword token); true for checksum. */
    boolean syncModeValue() throws ConfigException {
        if (tok.kind() == Token.Kind.CHECKSUM) {
            advance();
            return true;
        }
        if (tok.kind() == Token.Kind.STR && tok.text().equals("plain")) {
            advance();
            return false;
        }
        throw syntaxError("plain or checksum");
    }

    /**
     * {@code syncrate} value: {@code unlimited}, a rate in bytes per second (digits, or a word
     * such as {@code 50m} with a unit letter k, m, g: powers of 1024), or {@code adaptive <ms>}.
     * Returns {rate, adaptive target ms}.
     */
    long[] syncRateValue() throws ConfigException {
        if (tok.kind() == Token.Kind.STR && tok.text().equals("unlimited")) {
            advance();
            return new long[] {0, 0};
        }
        if (tok.kind() == Token.Kind.STR && tok.text().equals("adaptive")) {
            advance();
            if (tok.kind() != Token.Kind.NUM) {
                throw syntaxError("a target write latency in milliseconds");
            }
            long ms = parsePositive(take().text(), "Adaptive syncrate target");
            if (ms > 60_000) {
                throw errorAtPrevious("Adaptive syncrate target is too large (at most 60000 ms).");
            }
            return new long[] {0, ms};
        }
        if (tok.kind() != Token.Kind.NUM && tok.kind() != Token.Kind.STR) {
            throw syntaxError("unlimited, a rate in bytes/s or adaptive <ms>");
        }
        String text = take().text();
        long rate = parsePositive(text, "Syncrate");
        if (rate < 65536) {
            throw errorAtPrevious("Syncrate " + text + " is too small (at least 64k bytes/s).");
        }
        return new long[] {rate, 0};
    }

    private long parsePositive(String text, String what) throws ConfigException {
        long value;
        try {
            value = org.hast.util.HumanNumber.expand(text);
        } catch (NumberFormatException | ArithmeticException e) {
            throw errorAtPrevious(what + " " + text + " is not a number.");
        }
        if (value <= 0) {
            throw errorAtPrevious(what + " must be positive.");
        }
        return value;
    }

    /** {@code localio} value: {@code buffered} or {@code direct}. */
    LocalIoMode localIoValue() throws ConfigException {
        if (tok.kind() == Token.Kind.STR) {
            LocalIoMode mode = LocalIoMode.fromWord(tok.text());
            if (mode != null) {
                advance();
                return mode;
            }
        }
        throw syntaxError("buffered or direct");
    }

    /**
     * {@code timeout} takes a NUM (digits only, so never negative; {@code 0} is the only way
     * to "Negative or zero timeout."). The reference converts it with atoi, whose overflow is
     * undefined: on FreeBSD/amd64 the value is cut to its low 32 bits, so 4294967297 silently
     * becomes 1 and 2147483648 a negative number. We refuse anything above
     * {@link Integer#MAX_VALUE} with its own message instead of guessing a value: the one
     * place where a file FreeBSD accepts is refused (A31), deliberately.
     */
    int timeoutValue() throws ConfigException {
        if (tok.kind() != Token.Kind.NUM) {
            throw syntaxError("a number of seconds");
        }
        String digits = take().text();
        int first = 0;
        while (first < digits.length() - 1 && digits.charAt(first) == '0') {
            first++;
        }
        String significant = digits.substring(first);
        long value = significant.length() > 10 ? Long.MAX_VALUE : Long.parseLong(significant);
        if (value <= 0) {
            throw errorAtPrevious("Negative or zero timeout.");
        }
        if (value > Integer.MAX_VALUE) {
            throw errorAtPrevious("Timeout is too large (at most " + Integer.MAX_VALUE
                    + " seconds).");
        }
        return (int) value;
    }

    /** {@code value} if it fits in {@code max} characters, else {@code message} at its line. */
    String limited(String value, int max, String message) throws ConfigException {
        if (value.length() > max) {
            throw errorAtPrevious(message);
        }
        return value;
    }

    // ---- token plumbing and errors ----------------------------------------------------------

    void advance() {
        previous = tok;
        tok = lexer.next();
    }

    Token take() {
        Token taken = tok;
        advance();
        return taken;
    }

    void expect(Token.Kind kind, String expected) throws ConfigException {
        if (tok.kind() != kind) {
            throw syntaxError(expected);
        }
        advance();
    }

    /** True (and consumed) at the {@code }} closing a block; end of file is an error. */
    boolean closeBrace() throws ConfigException {
        if (tok.kind() == Token.Kind.RBRACE) {
            advance();
            return true;
        }
        if (tok.kind() == Token.Kind.EOF) {
            throw unexpectedEnd();
        }
        return false;
    }

    /** A semantic error on the line of the token just consumed (the value it is about). */
    ConfigException errorAtPrevious(String message) {
        return ConfigException.at(file, previous.line(), message);
    }

    ConfigException unexpectedEnd() {
        return ConfigException.at(file, tok.line(), "unexpected end of file");
    }

    ConfigException syntaxError(String expected) {
        if (tok.kind() == Token.Kind.EOF) {
            return unexpectedEnd();
        }
        return ConfigException.at(file, tok.line(),
                "syntax error near '" + quoted(tok) + "': expected " + expected);
    }

    /** The token in front of us cannot start a statement in {@code section}. */
    ConfigException misplaced(Section section) {
        if (tok.kind() == Token.Kind.EOF) {
            return unexpectedEnd();
        }
        String near = "syntax error near '" + quoted(tok) + "'";
        boolean statementWord = isStatementKeyword(tok);
        if (statementWord) {
            return ConfigException.at(file, tok.line(),
                    near + ": not allowed in " + section.description());
        }
        if (tok.kind() == Token.Kind.RBRACE) {
            return ConfigException.at(file, tok.line(), near + ": no block to close");
        }
        String expected = section == Section.GLOBAL ? "a statement" : "a statement or '}'";
        return ConfigException.at(file, tok.line(), near + ": expected " + expected);
    }

    private static boolean isStatementKeyword(Token token) {
        switch (token.kind()) {
            case CONTROL:
            case PIDFILE:
            case LISTEN:
            case REPLICATION:
            case CHECKSUM:
            case COMPRESSION:
            case TIMEOUT:
            case EXEC:
            case METAFLUSH:
            case RESOURCE:
            case NAME:
            case LOCAL:
            case REMOTE:
            case SOURCE:
            case ON:
                return true;
            default:
                return token.isWord("device") || token.isWord("devdir") || token.isWord("statedir")
                        || token.isWord("export") || token.isWord("exportcert") || token.isWord("exportkey")
                        || token.isWord("exportca") || LinkDraft.isKeyword(token.text())
                        || token.isWord("integrity") || token.isWord("syncmode") || token.isWord("syncrate")
                        || token.isWord("localio");
        }
    }

    private static String quoted(Token token) {
        String text = token.text();
        if (text.length() > MAX_QUOTED_TOKEN) {
            return text.substring(0, MAX_QUOTED_TOKEN) + "...";
        }
        return text;
    }
}
