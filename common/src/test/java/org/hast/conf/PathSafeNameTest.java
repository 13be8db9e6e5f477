package org.hast.conf;

import static org.hast.conf.ConfigTesting.error;
import static org.hast.conf.ConfigTesting.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.hast.util.SysExits;
import org.junit.jupiter.api.Test;

/** Resource and provider names become paths: '/', a leading '.' and control characters are refused. */
class PathSafeNameTest {
    private static final String BODY = " { on hasta { local /l remote none } }";

    @Test
    void resourceNamesThatWouldEscapeOrHideAreConfigErrors() {
        String[][] cases = {
            {"a/b", "Resource name a/b may not contain '/'."},
            {"/etc", "Resource name /etc may not contain '/'."},
            {"..", "Resource name .. may not start with '.'."},
            {".", "Resource name . may not start with '.'."},
            {".hidden", "Resource name .hidden may not start with '.'."},
            {"../../etc", "Resource name ../../etc may not start with '.'."},
        };
        for (String[] c : cases) {
            ConfigException e = error("\n\nresource " + c[0] + BODY);
            assertEquals("/etc/hast.conf:3: " + c[1], e.getMessage(), c[0]);
            assertEquals(SysExits.EX_CONFIG, e.exitCode());
        }
    }

    @Test
    void providerNamesAreCheckedAtBothLevelsAndInOtherNodesBlocks() {
        assertEquals("/etc/hast.conf:2: Provider name ../x may not start with '.'.",
                error("resource r {\n name ../x\n on hasta { local /l remote none } }").getMessage());
        assertEquals("/etc/hast.conf:2: Provider name x/y may not contain '/'.",
                error("resource r { on hasta { local /l remote none }\n on hastb { name x/y } }").getMessage());
        assertEquals("/etc/hast.conf:1: Provider name .x may not start with '.'.",
                error("resource r { on hasta { name .x local /l remote none } }").getMessage());
    }

    @Test
    void ordinaryNamesStillWork() throws ConfigException {
        ResourceConfig r = parse("resource a.b-c_d:e" + BODY).resources().get(0);
        assertEquals("a.b-c_d:e", r.name());
        assertEquals("x.y", parse("resource r { name x.y" + BODY.substring(2)).resources().get(0).providerName());
    }

    @Test
    void controlCharactersAreRefused() {
        // The lexer never puts one in a word; the rule still holds for any caller.
        assertEquals("may not contain control characters", PathSafeName.problem("a\tb"));
        assertEquals("may not contain control characters", PathSafeName.problem("a\u007fb"));
        assertEquals("may not contain control characters", PathSafeName.problem("a\nb"));
        assertNull(PathSafeName.problem("a.b"));
    }
}
