package io.workqueue.examples;

import picocli.CommandLine.IVersionProvider;

/** The version of the jar (from its manifest), for {@code --version}. */
final class Versions implements IVersionProvider {
  @Override
  public String[] getVersion() {
    String v = Versions.class.getPackage().getImplementationVersion();
    return new String[] {"WorkQueue examples " + (v != null ? v : "(built from source)")};
  }
}
