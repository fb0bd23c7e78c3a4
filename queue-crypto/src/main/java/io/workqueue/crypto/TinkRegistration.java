package io.workqueue.crypto;

import com.google.crypto.tink.aead.AeadConfig;
import java.security.GeneralSecurityException;

/**
 * Registers Tink's AEAD key types once per class loader. Tink's registry is global by design; this
 * is the only place that touches it.
 */
final class TinkRegistration {
  static {
    try {
      AeadConfig.register();
    } catch (GeneralSecurityException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private TinkRegistration() {}

  /** Makes sure the class initializer above ran; cheap after the first call. */
  static void ensure() {
    // The work is in the static initializer, which the JVM runs exactly once.
  }
}
