/* Moteforge example: classify one image frame and print the result as JSON, the shape
 * `moteforge classify --json` gives per file: {"windows": [{"index", "label", "scores"}], "label", "scores"}.
 *
 *   classify [frame.ppm] < frame.ppm
 *
 * The frame is a binary PPM (P6, maxval 255) of exactly MF_IMPULSE_IMAGE_WIDTH x MF_IMPULSE_IMAGE_HEIGHT
 * pixels, read from the file named on the command line or from stdin: the RGB888 a camera driver delivers
 * after cropping/resizing to the impulse's size. An image is one window, so the overall result is the
 * window's. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mf_impulse.h"

static int fail(const char *message)
{
    fprintf(stderr, "classify: %s\n", message);
    return 1;
}

/* Skips whitespace and '#' comments, then reads one decimal number of the PPM header; -1 if none. */
static long header_number(FILE *in)
{
    long value = 0;
    int digits = 0;
    int c = fgetc(in);
    for (;;) {
        while (c != EOF && isspace(c)) {
            c = fgetc(in);
        }
        if (c != '#') {
            break;
        }
        while (c != EOF && c != '\n' && c != '\r') {
            c = fgetc(in);
        }
    }
    while (c != EOF && isdigit(c) && digits < 9) {
        value = value * 10 + (c - '0');
        ++digits;
        c = fgetc(in);
    }
    /* One whitespace character ends the number (after maxval it is the last byte before the pixels). */
    if (digits == 0 || digits == 9 || (c != EOF && !isspace(c))) {
        return -1;
    }
    return value;
}

/* Reads a P6 frame of the impulse's size into rgb888; 0, or 1 after printing why not. */
static int read_ppm(FILE *in, uint8_t *rgb888)
{
    long width;
    long height;
    long maxval;
    if (fgetc(in) != 'P' || fgetc(in) != '6') {
        return fail("the frame is not a binary PPM (P6)");
    }
    width = header_number(in);
    height = header_number(in);
    maxval = header_number(in);
    if (width < 1 || height < 1 || maxval < 1) {
        return fail("the PPM header is malformed");
    }
    if (maxval != 255) {
        return fail("the PPM frame must have 8-bit samples (maxval 255)");
    }
    if (width != MF_IMPULSE_IMAGE_WIDTH || height != MF_IMPULSE_IMAGE_HEIGHT) {
        fprintf(stderr, "classify: the frame is %ldx%ld, the impulse takes %dx%d (resize it first)\n", width,
                height, MF_IMPULSE_IMAGE_WIDTH, MF_IMPULSE_IMAGE_HEIGHT);
        return 1;
    }
    if (fread(rgb888, 1, MF_IMPULSE_IMAGE_BYTES, in) != (size_t)MF_IMPULSE_IMAGE_BYTES) {
        return fail("the PPM frame ends before its last pixel");
    }
    return 0;
}

static void print_string(const char *text)
{
    putchar('"');
    for (; *text != '\0'; ++text) {
        unsigned char c = (unsigned char)*text;
        if (c == '"' || c == '\\') {
            printf("\\%c", c);
        } else if (c < 0x20) {
            printf("\\u%04x", c);
        } else {
            putchar(c);
        }
    }
    putchar('"');
}

static void print_result(const float *scores)
{
    int k;
    printf("\"label\": ");
    print_string(mf_impulse_class_names[mf_impulse_argmax(scores)]);
    printf(", \"scores\": {");
    for (k = 0; k < MF_IMPULSE_CLASSES; ++k) {
        printf(k ? ", " : "");
        print_string(mf_impulse_class_names[k]);
        printf(": %.5f", scores[k]);
    }
    printf("}");
}

int main(int argc, char **argv)
{
    static uint8_t frame[MF_IMPULSE_IMAGE_BYTES];
    float scores[MF_IMPULSE_CLASSES];
    FILE *in = stdin;
    int status;

    if (argc > 2) {
        return fail("usage: classify [frame.ppm] (or the frame on stdin)");
    }
    if (argc == 2) {
        in = fopen(argv[1], "rb");
        if (in == NULL) {
            return fail("cannot open the frame file");
        }
    }
    status = read_ppm(in, frame);
    if (in != stdin) {
        fclose(in);
    }
    if (status != 0) {
        return status;
    }
    status = mf_impulse_classify_image(frame, scores);
    if (status != 0) {
        fprintf(stderr, "classify: impulse status %d\n", status);
        return 1;
    }
    printf("{\"windows\": [{\"index\": 0, ");
    print_result(scores);
    printf("}], ");
    print_result(scores);
    printf("}\n");
    return 0;
}
