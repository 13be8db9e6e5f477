package org.hast.conf;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.hast.util.SysExits;

/**
 * Recursive-descent parser for hast.conf: the grammar of spec §1.2, with the depth rules of
 * the §1.3 table and the extensions of decisions §3. It performs the reference's semantic
 * actions in the reference's order (e.g. the duplicate-name check happens at the resource
 * name, before its {@code {} is seen), so the first error reported is the one FreeBSD
 * reports, with a 1-based line (A1).
 *
 * <p>Where a statement may stand:
 * <pre>
 *                  global  on-node  resource  resource-on
 *   control         yes     yes
 *   pidfile         yes     yes
 *   listen          yes     yes
 *   replication     yes               yes
 *   checksum        yes               yes
 *   compression     yes               yes
 *   timeout         yes               yes
 *   exec            yes               yes
 *   metaflush       yes               yes        yes
 *   name                              yes        yes
 *   local                             yes        yes
 *   remote                                       yes
 *   source                                       yes
 *   on              yes               yes
 *   resource        yes
 *   device (ext)    yes               yes
 *   devdir (ext)    yes     yes
 *   statedir (ext)  yes     yes
 *   export (ext)                      yes        yes
 *   exportcert (ext) yes              yes        yes
 *   exportkey (ext)  yes              yes        yes
 *   exportca (ext)   yes              yes        yes
 *   secret (ext)     yes              yes        yes
 *   tlscert (ext)    yes              yes        yes
 *   tlskey (ext)     yes              yes        yes
 *   tlsca (ext)      yes              yes        yes
 *   integrity (ext)  yes              yes
 *   syncmode (ext)   yes              yes
 *   syncrate (ext)   yes              yes
 *   localio (ext)   yes               yes
 * </pre>
 * Anything else where a statement is expected is a syntax error. The extension words are
 * recognised only where a statement (or a {@code device} value) is expected; elsewhere they
 * are ordinary words, so {@code resource export} still names a resource.
 *
 * <p>Values are kept as written: addresses are checked later by {@link HastAddress}, when
 * the daemon opens sockets, as in the reference. The exception is our own {@code export}: one
 * that would serve the resource beyond this host without TLS is refused here, on its line.
 */
public final class ConfigParser {
    /** {@code HAST_ADDRSIZE} (1024) less the NUL. */
    static final int MAX_ADDRESS = 1023;
    /** {@code PATH_MAX} (1024) less the NUL. */
    static final int MAX_PATH = 1023;
    /** {@code NAME_MAX} (255) less the NUL. */
    static final int MAX_NAME = 254;

    private final String file;
    private final TokenReader in;
    private final NodeIdentity identity;
    private final AddressFamilyProbe probe;
    private final GlobalDraft global = new GlobalDraft();
    private final List<ResourceDraft> resources = new ArrayList<>();

    private ConfigParser(String text, String file, NodeIdentity identity,
            AddressFamilyProbe probe) {
        this.file = file;
        this.in = new TokenReader(text, file);
        this.identity = identity;
        this.probe = probe;
    }

    /** Reads and parses {@code file}, probing the system for default listen addresses. */
    public static HastConfig load(Path file, NodeIdentity identity) throws ConfigException {
        return load(file, identity, AddressFamilyProbe.system());
    }

    public static HastConfig load(Path file, NodeIdentity identity, AddressFamilyProbe probe)
            throws ConfigException {
        String name = file.toString();
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException | SecurityException e) {
            throw ConfigException.whole(name, "unable to open configuration file: "
                    + describe(e), SysExits.EX_OSFILE);
        }
        // One char per byte, as flex sees the file: a stray non-ASCII byte is one ignored
        // character, whatever the encoding.
        return parse(new String(bytes, StandardCharsets.ISO_8859_1), name, identity, probe);
    }

    /**
     * Parses configuration text; {@code fileNameForMessages} prefixes every message.
     * Probes the system for default listen addresses.
     */
    public static HastConfig parse(String text, String fileNameForMessages, NodeIdentity identity)
            throws ConfigException {
        return parse(text, fileNameForMessages, identity, AddressFamilyProbe.system());
    }

    public static HastConfig parse(String text, String fileNameForMessages, NodeIdentity identity,
            AddressFamilyProbe probe) throws ConfigException {
        ConfigParser parser = new ConfigParser(text, fileNameForMessages, identity, probe);
        try {
            return parser.run();
        } catch (RuntimeException | StackOverflowError e) {
            // Only a bug gets here; the contract is still a one-line ConfigException.
            throw ConfigException.whole(fileNameForMessages,
                    "internal error while parsing the configuration", SysExits.EX_SOFTWARE);
        }
    }

    private static String describe(Exception e) {
        if (e instanceof NoSuchFileException) {
            return "No such file or directory";
        }
        if (e instanceof AccessDeniedException) {
            return "Permission denied";
        }
        if (e instanceof FileSystemException && ((FileSystemException) e).getReason() != null) {
            return ((FileSystemException) e).getReason();
        }
        if (e instanceof SecurityException) {
            return "Permission denied";
        }
        String message = e.getMessage();
        return message == null || message.isEmpty() ? "I/O error" : message;
    }

    private HastConfig run() throws ConfigException {
        while (!in.atEnd()) {
            globalStatement();
        }
        List<String> listen = global.effectiveListen(probe);
        if (listen.isEmpty()) {
            throw ConfigException.whole(file, "No address to listen on.", SysExits.EX_TEMPFAIL);
        }
        List<ResourceConfig> resolved = new ArrayList<>();
        for (ResourceDraft draft : resources) {
            resolved.add(draft.toConfig(global, file));
        }
        return new HastConfig(file, global.effectiveControl(), global.effectivePidfile(), listen,
                global.effectiveDevdir(), global.effectiveStatedir(), global.metrics, resolved, in.warnings());
    }

    // ---- statements, one method per section ------------------------------------------------

    private void globalStatement() throws ConfigException {
        Token keyword = in.current();
        switch (keyword.kind()) {
            case CONTROL:
                in.advance();
                global.control = in.limited(in.argument("an address"), MAX_ADDRESS,
                        "control argument is too long.");
                break;
            case PIDFILE:
                in.advance();
                global.pidfile = in.limited(in.argument("a path"), MAX_PATH,
                        "pidfile argument is too long.");
                break;
            case LISTEN:
                in.advance();
                global.listen.add(in.limited(in.argument("an address"), MAX_ADDRESS,
                        "listen argument is too long."));
                break;
            case REPLICATION:
                in.advance();
                global.replication = in.replicationValue();
                break;
            case CHECKSUM:
                in.advance();
                global.checksum = in.checksumValue();
                break;
            case COMPRESSION:
                in.advance();
                global.compression = in.compressionValue();
                break;
            case TIMEOUT:
                in.advance();
                global.timeoutSeconds = in.timeoutValue();
                break;
            case EXEC:
                in.advance();
                global.exec = in.limited(in.argument("a path"), MAX_PATH, "Exec path is too long.");
                break;
            case METAFLUSH:
                in.advance();
                global.metaflush = in.booleanValue();
                break;
            case ON:
                in.advance();
                nodeSection();
                break;
            case RESOURCE:
                in.advance();
                resourceSection();
                break;
            default:
                if (keyword.isWord("device")) {
                    in.advance();
                    global.device = in.deviceValue();
                } else if (keyword.isWord("localio")) {
                    in.advance();
                    global.localIo = in.localIoValue();
                } else if (keyword.isWord("devdir")) {
                    in.advance();
                    global.devdir = in.limited(in.argument("a path"), MAX_PATH,
                            "devdir argument is too long.");
                } else if (keyword.isWord("exportcert")) {
                    global.exportCert = tlsPath();
                } else if (keyword.isWord("exportkey")) {
                    global.exportKey = tlsPath();
                } else if (keyword.isWord("exportca")) {
                    global.exportCa = tlsPath();
                } else if (isLinkKeyword(keyword)) {
                    global.link.set(keyword.text(), tlsPath(), keyword.line());
                } else if (keyword.isWord("statedir")) {
                    in.advance();
                    global.statedir = in.limited(in.argument("a path"), MAX_PATH,
                            "statedir argument is too long.");
                } else if (keyword.isWord("metrics")) {
                    in.advance();
                    int line = in.current().line();
                    String address = in.limited(in.argumentOrNumber("an address"), MAX_ADDRESS,
                            "metrics argument is too long.");
                    try {
                        MetricsAddress.parse(address);
                    } catch (IllegalArgumentException e) {
                        throw ConfigException.at(file, line, e.getMessage());
                    }
                    global.metrics = address;
                } else if (!integrityStatement(global.integrity)) {
                    throw in.misplaced(Section.GLOBAL);
                }
        }
    }

    /** {@code on <node> { ... }} at depth 0: control, pidfile, listen, devdir, statedir. */
    private void nodeSection() throws ConfigException {
        boolean mine = identity.matches(in.argument("a node name"));
        in.expect(Token.Kind.LBRACE, "'{'");
        while (!in.closeBrace()) {
            Token keyword = in.current();
            switch (keyword.kind()) {
                case CONTROL: {
                    in.advance();
                    String value = in.argument("an address");
                    if (mine) {
                        global.nodeControl = in.limited(value, MAX_ADDRESS,
                                "control argument is too long.");
                    }
                    break;
                }
                case PIDFILE: {
                    in.advance();
                    String value = in.argument("a path");
                    if (mine) {
                        global.nodePidfile = in.limited(value, MAX_PATH,
                                "pidfile argument is too long.");
                    }
                    break;
                }
                case LISTEN: {
                    in.advance();
                    // The reference checks the length before it looks at the node.
                    String value = in.limited(in.argument("an address"), MAX_ADDRESS,
                            "listen argument is too long.");
                    if (mine) {
                        global.listen.add(value);
                    }
                    break;
                }
                default:
                    if (keyword.isWord("devdir")) {
                        in.advance();
                        String value = in.argument("a path");
                        if (mine) {
                            global.nodeDevdir = in.limited(value, MAX_PATH,
                                    "devdir argument is too long.");
                        }
                    } else if (keyword.isWord("statedir")) {
                        in.advance();
                        String value = in.argument("a path");
                        if (mine) {
                            global.nodeStatedir = in.limited(value, MAX_PATH,
                                    "statedir argument is too long.");
                        }
                    } else {
                        throw in.misplaced(Section.NODE);
                    }
            }
        }
    }

    /** {@code resource <name> { ... }}; validated at its closing brace. */
    private void resourceSection() throws ConfigException {
        String name = in.argument("a resource name");
        for (ResourceDraft other : resources) {
            if (other.name.equals(name)) {
                throw in.errorAtPrevious("Resource " + name + " configured more than once.");
            }
        }
        if (name.length() > MAX_NAME) {
            throw in.errorAtPrevious("Resource name is too long.");
        }
        String problem = PathSafeName.problem(name);
        if (problem != null) {
            throw in.errorAtPrevious("Resource name " + name + " " + problem + ".");
        }
        ResourceDraft draft = new ResourceDraft(name);
        in.expect(Token.Kind.LBRACE, "'{'");
        while (in.current().kind() != Token.Kind.RBRACE) {
            if (in.current().kind() == Token.Kind.EOF) {
                throw in.unexpectedEnd();
            }
            resourceStatement(draft);
        }
        draft.validate(file, in.current().line(), identity);
        in.advance();
        resources.add(draft);
    }

    private void resourceStatement(ResourceDraft draft) throws ConfigException {
        Token keyword = in.current();
        switch (keyword.kind()) {
            case REPLICATION:
                in.advance();
                draft.replication = in.replicationValue();
                break;
            case CHECKSUM:
                in.advance();
                draft.checksum = in.checksumValue();
                break;
            case COMPRESSION:
                in.advance();
                draft.compression = in.compressionValue();
                break;
            case TIMEOUT:
                in.advance();
                draft.timeoutSeconds = in.timeoutValue();
                break;
            case EXEC:
                in.advance();
                draft.exec = in.limited(in.argument("a path"), MAX_PATH, "Exec path is too long.");
                break;
            case METAFLUSH:
                in.advance();
                draft.metaflush = in.booleanValue();
                break;
            case NAME:
                in.advance();
                // PATH_MAX here, not NAME_MAX: see ResourceDraft.toConfig.
                draft.providerName = providerName(in.limited(in.argument("a provider name"), MAX_PATH,
                        "name argument is too long."));
                break;
            case LOCAL:
                in.advance();
                draft.localPath = in.limited(in.argument("a path"), MAX_PATH,
                        "local argument is too long.");
                break;
            case ON:
                in.advance();
                resourceNodeSection(draft);
                break;
            default:
                if (keyword.isWord("device")) {
                    in.advance();
                    draft.device = in.deviceValue();
                } else if (keyword.isWord("localio")) {
                    in.advance();
                    draft.localIo = in.localIoValue();
                } else if (keyword.isWord("export")) {
                    in.advance();
                    draft.exportAddress = in.limited(in.argument("an address"), MAX_ADDRESS,
                            "export argument is too long.");
                    draft.exportLine = keyword.line();
                } else if (keyword.isWord("exportcert")) {
                    draft.exportCert = tlsPath();
                } else if (keyword.isWord("exportkey")) {
                    draft.exportKey = tlsPath();
                } else if (keyword.isWord("exportca")) {
                    draft.exportCa = tlsPath();
                } else if (isLinkKeyword(keyword)) {
                    draft.link.set(keyword.text(), tlsPath(), keyword.line());
                } else if (!integrityStatement(draft.integrity)) {
                    throw in.misplaced(Section.RESOURCE);
                }
        }
    }

    /** {@code secret}, {@code tlscert}, {@code tlskey} or {@code tlsca}. */
    private static boolean isLinkKeyword(Token keyword) {
        return keyword.isWord("secret") || keyword.isWord("tlscert") || keyword.isWord("tlskey")
                || keyword.isWord("tlsca");
    }

    /** {@code integrity}, {@code syncmode} or {@code syncrate} into {@code into}; false for any other word. */
    private boolean integrityStatement(IntegrityDraft into) throws ConfigException {
        Token keyword = in.current();
        if (keyword.isWord("integrity")) {
            in.advance();
            into.hashes = in.booleanValue();
        } else if (keyword.isWord("syncmode")) {
            in.advance();
            into.checksumSync = in.syncModeValue();
        } else if (keyword.isWord("syncrate")) {
            in.advance();
            long[] rate = in.syncRateValue();
            into.syncRate = rate[0];
            into.adaptiveTargetMs = (int) rate[1];
        } else {
            return false;
        }
        return true;
    }

    /** The path after {@code exportcert}, {@code exportkey}, {@code exportca} or a link keyword (current). */
    private String tlsPath() throws ConfigException {
        String keyword = in.current().text();
        in.advance();
        return in.limited(in.argument("a path"), MAX_PATH, keyword + " argument is too long.");
    }

    /** A {@code name} value: it becomes {@code <devdir>/<name>}, so it must be path-safe. */
    private String providerName(String value) throws ConfigException {
        String problem = PathSafeName.problem(value);
        if (problem != null) {
            throw in.errorAtPrevious("Provider name " + value + " " + problem + ".");
        }
        return value;
    }

    /** {@code on <node> { ... }} inside a resource; only this node's block takes effect. */
    private void resourceNodeSection(ResourceDraft draft) throws ConfigException {
        boolean mine = identity.matches(in.argument("a node name"));
        if (mine) {
            draft.hadMyNode = true;
        }
        in.expect(Token.Kind.LBRACE, "'{'");
        while (!in.closeBrace()) {
            Token keyword = in.current();
            switch (keyword.kind()) {
                case NAME: {
                    in.advance();
                    String value = providerName(in.argument("a provider name"));
                    if (mine) {
                        draft.nodeProviderName = in.limited(value, MAX_NAME,
                                "name argument is too long.");
                    }
                    break;
                }
                case LOCAL: {
                    in.advance();
                    String value = in.argument("a path");
                    if (mine) {
                        draft.nodeLocalPath = in.limited(value, MAX_PATH,
                                "local argument is too long.");
                    }
                    break;
                }
                case REMOTE: {
                    in.advance();
                    String value = in.remoteValue();
                    if (mine) {
                        draft.remoteAddress = in.limited(value, MAX_ADDRESS,
                                "remote argument is too long.");
                    }
                    break;
                }
                case SOURCE: {
                    in.advance();
                    String value = in.argument("an address");
                    if (mine) {
                        draft.sourceAddress = in.limited(value, MAX_ADDRESS,
                                "source argument is too long.");
                    }
                    break;
                }
                case METAFLUSH: {
                    in.advance();
                    boolean value = in.booleanValue();
                    if (mine) {
                        draft.nodeMetaflush = value;
                    }
                    break;
                }
                default:
                    if (keyword.isWord("export")) {
                        in.advance();
                        String value = in.argument("an address");
                        if (mine) {
                            draft.nodeExportAddress = in.limited(value, MAX_ADDRESS,
                                    "export argument is too long.");
                            draft.nodeExportLine = keyword.line();
                        }
                    } else if (keyword.isWord("exportcert")) {
                        String value = tlsPath();
                        draft.nodeExportCert = mine ? value : draft.nodeExportCert;
                    } else if (keyword.isWord("exportkey")) {
                        String value = tlsPath();
                        draft.nodeExportKey = mine ? value : draft.nodeExportKey;
                    } else if (keyword.isWord("exportca")) {
                        String value = tlsPath();
                        draft.nodeExportCa = mine ? value : draft.nodeExportCa;
                    } else if (isLinkKeyword(keyword)) {
                        String value = tlsPath();
                        if (mine) {
                            draft.nodeLink.set(keyword.text(), value, keyword.line());
                        }
                    } else {
                        throw in.misplaced(Section.RESOURCE_NODE);
                    }
            }
        }
    }
}
