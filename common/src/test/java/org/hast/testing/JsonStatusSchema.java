package org.hast.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;

import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;

/** docs/json-status.schema.json, the documented schema of {@code hastctl status --json}. */
public final class JsonStatusSchema {
    private static Schema schema;

    private JsonStatusSchema() {
    }

    private static synchronized Schema schema() throws IOException {
        if (schema == null) {
            String text = Files.readString(Requirements.projectRoot().resolve("docs/json-status.schema.json"));
            schema = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
                    .getSchema(text, InputFormat.JSON);
        }
        return schema;
    }

    /** Fails with every violation when {@code json} does not validate. */
    public static void assertValid(String json, String what) throws IOException {
        List<Error> errors = schema().validate(json, InputFormat.JSON);
        if (!errors.isEmpty()) {
            throw new AssertionError(what + ": " + errors + "\n" + json);
        }
    }
}
