package org.hast.conf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class ConfigLexerTest {

    private static List<Token> tokens(String text) {
        ConfigLexer lexer = new ConfigLexer(text, "f");
        List<Token> out = new ArrayList<>();
        for (Token t = lexer.next(); t.kind() != Token.Kind.EOF; t = lexer.next()) {
            out.add(t);
        }
        return out;
    }

    private static String kinds(String text) {
        StringBuilder out = new StringBuilder();
        for (Token t : tokens(text)) {
            if (out.length() > 0) {
                out.append(' ');
            }
            out.append(t.kind()).append(t.kind() == Token.Kind.STR || t.kind() == Token.Kind.NUM
                    ? "(" + t.text() + ")" : "");
        }
        return out.toString();
    }

    @Test
    void everyKeywordIsAnExactTie() {
        String[] words = {"control", "pidfile", "listen", "replication", "checksum",
            "compression", "timeout", "exec", "metaflush", "resource", "name", "local",
            "remote", "source", "on", "off", "fullsync", "memsync", "async", "none", "crc32",
            "sha256", "hole", "lzf"};
        for (String word : words) {
            List<Token> t = tokens(word);
            assertEquals(1, t.size());
            assertTrue(t.get(0).kind().isKeyword(), word);
            assertEquals(word, t.get(0).text());
            // A longer word, or another case, is a plain STR.
            assertEquals("STR(" + word + "x)", kinds(word + "x"));
            assertEquals("STR(" + word.toUpperCase() + ")", kinds(word.toUpperCase()));
        }
        assertEquals("STR(localdisk) STR(online) STR(nonexistent)", kinds("localdisk online nonexistent"));
    }

    @Test
    void extensionWordsAreOrdinaryWords() {
        assertEquals("STR(device) STR(devdir) STR(export) STR(auto) STR(nbd) STR(fuse) STR(ggate)",
                kinds("device devdir export auto nbd fuse ggate"));
    }

    @Test
    void digitsOnlyIsNumOtherwiseStr() {
        assertEquals("NUM(123) STR(123a) STR(1.2) STR(-1) NUM(007)", kinds("123 123a 1.2 -1 007"));
    }

    @Test
    void wordAlphabet() {
        assertEquals("STR(tcp6://[fe80::1]:8457) STR(/dev/a_b-c.d)",
                kinds("tcp6://[fe80::1]:8457 /dev/a_b-c.d"));
        // Anything else splits words.
        assertEquals("STR(a) STR(b) STR(c) STR(d) STR(e)", kinds("a;b,c\"d@e"));
    }

    @Test
    void bracesAreTokensAndSplitWords() {
        assertEquals("ON LBRACE RBRACE", kinds("on{}"));
        assertEquals("STR(a) LBRACE STR(b) RBRACE STR(c)", kinds("a{b}c"));
    }

    @Test
    void commentsRunToEndOfLineAnywhere() {
        assertEquals("STR(a) STR(b)", kinds("a# comment { } ;\nb"));
        assertEquals("STR(a)", kinds("a #last line without newline"));
        assertEquals("", kinds("#only\n#comments\n"));
    }

    @Test
    void linesAreOneBasedAndCountNewlinesOnly() {
        List<Token> t = tokens("a\n\nb # c\n d\r\ne");
        assertEquals(List.of(1, 3, 4, 5), t.stream().map(Token::line).toList());
    }

    @Test
    void endOfFileLineIsTheLastLine() {
        ConfigLexer lexer = new ConfigLexer("a\nb\n", "f");
        lexer.next();
        lexer.next();
        assertEquals(2, lexer.next().line());
        ConfigLexer noNewline = new ConfigLexer("a\nb", "f");
        noNewline.next();
        noNewline.next();
        assertEquals(2, noNewline.next().line());
        assertEquals(1, new ConfigLexer("", "f").next().line());
    }

    @Test
    void ignoredCharactersWarnWithEscapes() {
        ConfigLexer lexer = new ConfigLexer("a;\r\n\u0001b\u00e9'\\\u2603", "/etc/hast.conf");
        while (lexer.next().kind() != Token.Kind.EOF) {
            // drain
        }
        assertEquals(List.of(
                "/etc/hast.conf:1: warning: ignoring character ';'",
                "/etc/hast.conf:1: warning: ignoring character '\\r'",
                "/etc/hast.conf:2: warning: ignoring character '\\x01'",
                "/etc/hast.conf:2: warning: ignoring character '\\xe9'",
                "/etc/hast.conf:2: warning: ignoring character '\\''",
                "/etc/hast.conf:2: warning: ignoring character '\\\\'",
                "/etc/hast.conf:2: warning: ignoring character '\\u2603'"), lexer.warnings());
    }

    @Test
    void warningsAreCappedWithACount() {
        ConfigLexer lexer = new ConfigLexer(";".repeat(250), "f");
        lexer.next();
        List<String> warnings = lexer.warnings();
        assertEquals(ConfigLexer.MAX_LISTED_WARNINGS + 1, warnings.size());
        assertEquals("f: warning: 150 more ignored characters not listed",
                warnings.get(warnings.size() - 1));
    }

    @Test
    void blanksAndTabsSeparateSilently() {
        ConfigLexer lexer = new ConfigLexer(" \ta\t b ", "f");
        assertEquals("a", lexer.next().text());
        assertEquals("b", lexer.next().text());
        assertEquals(Token.Kind.EOF, lexer.next().kind());
        assertEquals(List.of(), lexer.warnings());
    }
}
