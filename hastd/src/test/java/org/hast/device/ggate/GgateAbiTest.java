package org.hast.device.ggate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;

import org.hast.platform.AbiTable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every number of {@link GgateAbi} against the compiler-made tables, amd64 and arm64. */
class GgateAbiTest {

    @ParameterizedTest
    @ValueSource(strings = {"amd64", "arm64"})
    void everyConstantAndOffsetIsTheCompilers(String arch) {
        AbiTable table = AbiTable.load(arch);
        Map<String, Long> facts = new LinkedHashMap<>();
        facts.put("G_GATE_VERSION", (long) GgateAbi.VERSION);
        facts.put("G_GATE_UNIT_AUTO", (long) GgateAbi.UNIT_AUTO);
        facts.put("G_GATE_NAME_GIVEN", (long) GgateAbi.NAME_GIVEN);
        facts.put("G_GATE_INFOSIZE", (long) GgateAbi.INFO_BYTES);
        facts.put("G_GATE_MAX_QUEUE_SIZE", (long) GgateAbi.MAX_QUEUE_SIZE);
        facts.put("BIO_READ", (long) GgateAbi.BIO_READ);
        facts.put("BIO_WRITE", (long) GgateAbi.BIO_WRITE);
        facts.put("BIO_DELETE", (long) GgateAbi.BIO_DELETE);
        facts.put("BIO_GETATTR", (long) GgateAbi.BIO_GETATTR);
        facts.put("BIO_FLUSH", (long) GgateAbi.BIO_FLUSH);
        facts.put("MAXPHYS", (long) GgateAbi.MAXPHYS);
        facts.put("G_GATE_CMD_CREATE", GgateAbi.CMD_CREATE);
        facts.put("G_GATE_CMD_MODIFY", GgateAbi.CMD_MODIFY);
        facts.put("G_GATE_CMD_DESTROY", GgateAbi.CMD_DESTROY);
        facts.put("G_GATE_CMD_CANCEL", GgateAbi.CMD_CANCEL);
        facts.put("G_GATE_CMD_START", GgateAbi.CMD_START);
        facts.put("G_GATE_CMD_DONE", GgateAbi.CMD_DONE);
        facts.put("ENXIO", (long) GgateAbi.ENXIO);
        facts.put("ENOMEM", (long) GgateAbi.ENOMEM);
        facts.put("EEXIST", (long) GgateAbi.EEXIST);
        facts.put("EAGAIN", (long) GgateAbi.EAGAIN);
        facts.put("EOPNOTSUPP", (long) GgateAbi.EOPNOTSUPP);
        facts.put("ECANCELED", (long) GgateAbi.ECANCELED);

        String create = "struct g_gate_ctl_create";
        facts.put("sizeof:" + create, (long) GgateAbi.Create.SIZE);
        facts.put("argsize:G_GATE_CMD_CREATE", (long) GgateAbi.Create.SIZE);
        facts.put("offsetof:" + create + ".gctl_version", (long) GgateAbi.Create.VERSION);
        facts.put("offsetof:" + create + ".gctl_mediasize", (long) GgateAbi.Create.MEDIASIZE);
        facts.put("offsetof:" + create + ".gctl_sectorsize", (long) GgateAbi.Create.SECTORSIZE);
        facts.put("offsetof:" + create + ".gctl_flags", (long) GgateAbi.Create.FLAGS);
        facts.put("offsetof:" + create + ".gctl_maxcount", (long) GgateAbi.Create.MAXCOUNT);
        facts.put("offsetof:" + create + ".gctl_timeout", (long) GgateAbi.Create.TIMEOUT);
        facts.put("offsetof:" + create + ".gctl_name", (long) GgateAbi.Create.NAME);
        facts.put("membersize:" + create + ".gctl_name", (long) GgateAbi.NAME_BYTES);
        facts.put("offsetof:" + create + ".gctl_info", (long) GgateAbi.Create.INFO);
        facts.put("offsetof:" + create + ".gctl_readprov", (long) GgateAbi.Create.READPROV);
        facts.put("offsetof:" + create + ".gctl_readoffset", (long) GgateAbi.Create.READOFFSET);
        facts.put("offsetof:" + create + ".gctl_unit", (long) GgateAbi.Create.UNIT);

        String destroy = "struct g_gate_ctl_destroy";
        facts.put("sizeof:" + destroy, (long) GgateAbi.Destroy.SIZE);
        facts.put("argsize:G_GATE_CMD_DESTROY", (long) GgateAbi.Destroy.SIZE);
        facts.put("offsetof:" + destroy + ".gctl_version", (long) GgateAbi.Destroy.VERSION);
        facts.put("offsetof:" + destroy + ".gctl_unit", (long) GgateAbi.Destroy.UNIT);
        facts.put("offsetof:" + destroy + ".gctl_force", (long) GgateAbi.Destroy.FORCE);
        facts.put("offsetof:" + destroy + ".gctl_name", (long) GgateAbi.Destroy.NAME);

        String cancel = "struct g_gate_ctl_cancel";
        facts.put("sizeof:" + cancel, (long) GgateAbi.Cancel.SIZE);
        facts.put("argsize:G_GATE_CMD_CANCEL", (long) GgateAbi.Cancel.SIZE);
        facts.put("offsetof:" + cancel + ".gctl_version", (long) GgateAbi.Cancel.VERSION);
        facts.put("offsetof:" + cancel + ".gctl_unit", (long) GgateAbi.Cancel.UNIT);
        facts.put("offsetof:" + cancel + ".gctl_seq", (long) GgateAbi.Cancel.SEQ);
        facts.put("membersize:" + cancel + ".gctl_seq", (long) Long.BYTES);
        facts.put("offsetof:" + cancel + ".gctl_name", (long) GgateAbi.Cancel.NAME);

        String io = "struct g_gate_ctl_io";
        facts.put("sizeof:" + io, (long) GgateAbi.Io.SIZE);
        facts.put("argsize:G_GATE_CMD_START", (long) GgateAbi.Io.SIZE);
        facts.put("argsize:G_GATE_CMD_DONE", (long) GgateAbi.Io.SIZE);
        facts.put("offsetof:" + io + ".gctl_version", (long) GgateAbi.Io.VERSION);
        facts.put("offsetof:" + io + ".gctl_unit", (long) GgateAbi.Io.UNIT);
        facts.put("offsetof:" + io + ".gctl_seq", (long) GgateAbi.Io.SEQ);
        facts.put("membersize:" + io + ".gctl_seq", (long) Long.BYTES);
        facts.put("offsetof:" + io + ".gctl_cmd", (long) GgateAbi.Io.CMD);
        facts.put("offsetof:" + io + ".gctl_offset", (long) GgateAbi.Io.OFFSET);
        facts.put("offsetof:" + io + ".gctl_length", (long) GgateAbi.Io.LENGTH);
        facts.put("membersize:" + io + ".gctl_length", (long) Long.BYTES);
        facts.put("offsetof:" + io + ".gctl_data", (long) GgateAbi.Io.DATA);
        facts.put("offsetof:" + io + ".gctl_error", (long) GgateAbi.Io.ERROR);

        facts.forEach((name, value) -> assertEquals(table.freebsd(name), value, name + " in " + table.file()));
        assertEquals(GgateAbi.CONTROL_DEVICE, "/dev/" + "ggctl");
    }
}
