package io.workqueue.examples;

import java.util.Map;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The environment variables behind the connection and key options of the demo and the CLI: a flag
 * wins over its variable, the variable over the built-in default. The same variables serve both
 * programs, so that the CLI reads what the demo wrote with the same settings.
 */
final class Environment implements IDefaultValueProvider {
  static final String CASSANDRA = "WORKQUEUE_CASSANDRA";
  static final String REDIS = "WORKQUEUE_REDIS";
  static final String DATACENTER = "WORKQUEUE_DATACENTER";
  static final String KEYSPACE = "WORKQUEUE_KEYSPACE";
  static final String KEYSET_DIR = "WORKQUEUE_KEYSET_DIR";
  static final String MASTER_KEY_FILE = "WORKQUEUE_MASTER_KEY_FILE";

  /** Holds a master key itself: a Tink AEAD keyset in the clear, base64 encoded. */
  static final String MASTER_KEY = "WORKQUEUE_MASTER_KEY";

  private static final Map<String, String> BY_OPTION =
      Map.of(
          "--cassandra", CASSANDRA,
          "--redis", REDIS,
          "--datacenter", DATACENTER,
          "--keyspace", KEYSPACE,
          "--keyset-dir", KEYSET_DIR,
          "--master-key-file", MASTER_KEY_FILE);

  private final Map<String, String> variables;

  Environment(Map<String, String> variables) {
    this.variables = Map.copyOf(variables);
  }

  /** The process's environment. */
  static Environment system() {
    return new Environment(System.getenv());
  }

  /** A variable's value, or null when unset or blank. */
  String get(String variable) {
    String v = variables.get(variable);
    return v == null || v.isBlank() ? null : v.trim();
  }

  @Override
  public String defaultValue(ArgSpec argSpec) {
    if (argSpec instanceof OptionSpec option) {
      String variable = BY_OPTION.get(option.longestName());
      if (variable != null) {
        String value = get(variable);
        if (value != null) {
          return value;
        }
      }
    }
    return argSpec.defaultValue();
  }
}
