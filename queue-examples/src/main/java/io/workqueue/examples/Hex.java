package io.workqueue.examples;

import java.util.HexFormat;

/** Abbreviated hex of ciphertexts, to show that what is stored is not the plaintext. */
final class Hex {
  private Hex() {}

  /** {@code 0x0153a1...9be2 (87 bytes)}: the first and last bytes of a blob. */
  static String abbreviated(byte[] bytes, int headBytes, int tailBytes) {
    HexFormat hex = HexFormat.of();
    String shown =
        bytes.length <= headBytes + tailBytes
            ? hex.formatHex(bytes)
            : hex.formatHex(bytes, 0, headBytes)
                + "..."
                + hex.formatHex(bytes, bytes.length - tailBytes, bytes.length);
    return "0x" + shown + " (" + bytes.length + " bytes)";
  }
}
