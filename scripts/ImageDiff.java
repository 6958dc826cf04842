import java.awt.image.BufferedImage;
import java.io.File;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * Pixel comparison for scripts/gpu-check.sh: {@code java ImageDiff A.png B.png} prints one line,
 * {@code size=WxH identical=true|false max_abs=N differing_px=N psnr_db=X} (RGB channels, 0..255;
 * PSNR "inf" when identical), or {@code size=WxH/WxH identical=false} when the sizes differ.
 * Compiled by {@code gpu-check.sh --pack} into the bundle, whose runtime has no compiler; {@link #compare} is
 * also called by scripts/Models.java.
 */
public final class ImageDiff {
    private ImageDiff() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: java ImageDiff A.png B.png");
            System.exit(2);
        }
        System.out.println(compare(read(args[0]), read(args[1])));
    }

    /**
     * The difference of two images over their RGB channels.
     *
     * @param width     the first image's width
     * @param height    the first image's height
     * @param other     the second image's size, {@code WxH}
     * @param sameSize  whether the sizes are equal (the other fields are 0 when not)
     * @param maxAbs    the largest difference of one channel, 0..255
     * @param differing how many pixels differ
     * @param psnr      the peak signal-to-noise ratio in dB, infinite when identical
     */
    public record Diff(int width, int height, String other, boolean sameSize, int maxAbs, long differing, double psnr) {
        /** @return whether the images have the same size and pixels */
        public boolean identical() {
            return sameSize && differing == 0;
        }

        @Override
        public String toString() {
            if (!sameSize) {
                return String.format("size=%dx%d/%s identical=false", width, height, other);
            }
            String p = Double.isInfinite(psnr) ? "inf" : String.format(Locale.ROOT, "%.1f", psnr);
            return String.format(Locale.ROOT, "size=%dx%d identical=%b max_abs=%d differing_px=%d psnr_db=%s",
                    width, height, identical(), maxAbs, differing, p);
        }
    }

    /**
     * Compares two images pixel by pixel.
     *
     * @param a the first image
     * @param b the second image
     * @return their difference
     */
    public static Diff compare(BufferedImage a, BufferedImage b) {
        if (a.getWidth() != b.getWidth() || a.getHeight() != b.getHeight()) {
            return new Diff(a.getWidth(), a.getHeight(), b.getWidth() + "x" + b.getHeight(), false, 0, 0, 0);
        }
        int max = 0;
        long differing = 0;
        double squares = 0;
        for (int y = 0; y < a.getHeight(); y++) {
            for (int x = 0; x < a.getWidth(); x++) {
                int p = a.getRGB(x, y);
                int q = b.getRGB(x, y);
                if (p != q) {
                    differing++;
                }
                for (int shift = 0; shift <= 16; shift += 8) {
                    int d = Math.abs(((p >> shift) & 0xff) - ((q >> shift) & 0xff));
                    max = Math.max(max, d);
                    squares += (double) d * d;
                }
            }
        }
        double mse = squares / (3.0 * a.getWidth() * a.getHeight());
        double psnr = mse == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(255.0 * 255.0 / mse);
        return new Diff(a.getWidth(), a.getHeight(), b.getWidth() + "x" + b.getHeight(), true, max, differing, psnr);
    }

    /**
     * Reads an image file.
     *
     * @param path the file
     * @return the image
     * @throws Exception if it cannot be read or is not an image
     */
    public static BufferedImage read(String path) throws Exception {
        BufferedImage img = ImageIO.read(new File(path));
        if (img == null) {
            throw new IllegalArgumentException(path + " is not an image ImageIO can read");
        }
        return img;
    }
}
