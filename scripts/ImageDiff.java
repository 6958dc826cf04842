import java.awt.image.BufferedImage;
import java.io.File;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * Pixel comparison for scripts/gpu-check.sh: {@code java ImageDiff A.png B.png} prints one line,
 * {@code size=WxH identical=true|false max_abs=N differing_px=N psnr_db=X} (RGB channels, 0..255;
 * PSNR "inf" when identical), or {@code size=WxH/WxH identical=false} when the sizes differ.
 * Compiled by {@code gpu-check.sh --pack} into the bundle, whose runtime has no compiler.
 */
public final class ImageDiff {
    private ImageDiff() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: java ImageDiff A.png B.png");
            System.exit(2);
        }
        BufferedImage a = read(args[0]);
        BufferedImage b = read(args[1]);
        if (a.getWidth() != b.getWidth() || a.getHeight() != b.getHeight()) {
            System.out.printf("size=%dx%d/%dx%d identical=false%n", a.getWidth(), a.getHeight(), b.getWidth(), b.getHeight());
            return;
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
        String psnr = mse == 0 ? "inf" : String.format(Locale.ROOT, "%.1f", 10 * Math.log10(255.0 * 255.0 / mse));
        System.out.printf(Locale.ROOT, "size=%dx%d identical=%b max_abs=%d differing_px=%d psnr_db=%s%n",
                a.getWidth(), a.getHeight(), differing == 0, max, differing, psnr);
    }

    private static BufferedImage read(String path) throws Exception {
        BufferedImage img = ImageIO.read(new File(path));
        if (img == null) {
            throw new IllegalArgumentException(path + " is not an image ImageIO can read");
        }
        return img;
    }
}
