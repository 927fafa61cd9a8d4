/* Moteforge example: classify one recording read as CSV on stdin and print the result as JSON, the shape
 * `moteforge classify --json` gives per file: {"label", "scores", "windows": [{"index", "label", "scores"}]}
 * for a classifier, {"value", "windows": [{"index", "value"}]} for a regression.
 *
 *   classify [--interval-ms MS] < recording.csv
 *
 * CSV: a header row, then one row per reading. A timestamp column (named like "timestamp", "time", "t" or
 * "ms", optionally with a unit) is ignored; the other columns are the axes in the impulse's order. Rows are
 * MS milliseconds apart (default: the impulse's own rate); other rates are resampled linearly and windows
 * are cut exactly as the studio cuts them. The overall result averages the windows' scores; an anomaly
 * block prints its one "anomaly score", "normal" or "anomaly" against its threshold, as the studio; a
 * regression prints its predicted value, the mean of the windows' values. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mf_impulse.h"

/* Only a regression's header defines it. */
#ifndef MF_IMPULSE_REGRESSION
#define MF_IMPULSE_REGRESSION 0
#endif

#define LINE_MAX_BYTES 65536
#define MAX_COLUMNS 64
/* As the studio, frame counts never lose a frame to float rounding noise. */
#define FRAME_EPS 1e-6

static int is_time_column(const char *name)
{
    static const char *const bases[] = {"timestamp", "time", "ts", "t", "millis", "milliseconds", "ms",
                                        "seconds", "secs", "sec", "s"};
    char word[32];
    size_t n = 0;
    size_t i;
    while (isspace((unsigned char)*name)) {
        ++name;
    }
    while (isalpha((unsigned char)name[n]) && n + 1 < sizeof word) {
        word[n] = (char)tolower((unsigned char)name[n]);
        ++n;
    }
    word[n] = '\0';
    /* Whatever follows the base word must be a unit suffix such as "_ms", " (s)" or "[ms]". */
    if (name[n] != '\0' && strchr(" _-([\r\n", name[n]) == NULL) {
        return 0;
    }
    for (i = 0; i < sizeof bases / sizeof bases[0]; ++i) {
        if (strcmp(word, bases[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

static int split(char *line, char **cells)
{
    int count = 0;
    char *p = line;
    line[strcspn(line, "\r\n")] = '\0';
    for (;;) {
        if (count == MAX_COLUMNS) {
            return -1;
        }
        cells[count++] = p;
        p = strchr(p, ',');
        if (p == NULL) {
            return count;
        }
        *p++ = '\0';
    }
}

#if !MF_IMPULSE_REGRESSION
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
#endif

static void print_result(const float *scores)
{
#if MF_IMPULSE_REGRESSION
    /* As the studio reports a regression: the value, no label and no scores. */
    printf("\"value\": %.5f", scores[0]);
#else
    int k;
    printf("\"label\": ");
#if MF_IMPULSE_ANOMALY
    print_string(scores[0] > MF_IMPULSE_ANOMALY_THRESHOLD ? "anomaly" : "normal");
#else
    print_string(mf_impulse_class_names[mf_impulse_argmax(scores)]);
#endif
    printf(", \"scores\": {");
    for (k = 0; k < MF_IMPULSE_CLASSES; ++k) {
        printf(k ? ", " : "");
        print_string(mf_impulse_class_names[k]);
        printf(": %.5f", scores[k]);
    }
    printf("}");
#endif
}

/* Linear interpolation onto the impulse's grid t_k = k * 1000 / F ms, from the first reading up to the
 * last one (never extrapolating), computed in double; unchanged when the rates agree within 1e-6. */
static float *resample(float *values, long length, double interval_ms, long *out_length)
{
    const double target = 1000.0 / (double)(MF_IMPULSE_FREQUENCY_HZ);
    const double last_t = (double)(length - 1) * interval_ms;
    long count;
    long k;
    long j = 0;
    float *out;
    if (fabs(target - interval_ms) <= 1e-6 * interval_ms) {
        *out_length = length;
        return values;
    }
    count = (long)floor((double)(length - 1) * interval_ms / target + FRAME_EPS) + 1;
    out = malloc((size_t)count * MF_IMPULSE_AXES * sizeof *out);
    if (out == NULL) {
        return NULL;
    }
    for (k = 0; k < count; ++k) {
        double t = (double)k * target;
        int a;
        if (t > last_t) {
            t = last_t;
        }
        while (j + 1 < length && (double)(j + 1) * interval_ms <= t) {
            ++j;
        }
        for (a = 0; a < MF_IMPULSE_AXES; ++a) {
            double y0 = values[j * MF_IMPULSE_AXES + a];
            double value = y0;
            if (j + 1 < length) {
                double x0 = (double)j * interval_ms;
                double y1 = values[(j + 1) * MF_IMPULSE_AXES + a];
                value = (y1 - y0) / interval_ms * (t - x0) + y0;
            }
            out[k * MF_IMPULSE_AXES + a] = (float)value;
        }
    }
    free(values);
    *out_length = count;
    return out;
}

static int fail(const char *message, long row)
{
    if (row > 0) {
        fprintf(stderr, "classify: row %ld: %s\n", row, message);
    } else {
        fprintf(stderr, "classify: %s\n", message);
    }
    return 1;
}

int main(int argc, char **argv)
{
    static char line[LINE_MAX_BYTES];
    static float window[MF_IMPULSE_WINDOW_FLOATS];
    char *cells[MAX_COLUMNS];
    int axis_column[MF_IMPULSE_AXES];
    double interval_ms = 1000.0 / (double)(MF_IMPULSE_FREQUENCY_HZ);
    double sums[MF_IMPULSE_CLASSES] = {0};
    float mean[MF_IMPULSE_CLASSES];
    float *values = NULL;
    long length = 0;
    long capacity = 0;
    long row = 1;
    long count;
    long w;
    int columns;
    int axes = 0;
    int c;

    if (argc == 3 && strcmp(argv[1], "--interval-ms") == 0) {
        interval_ms = strtod(argv[2], NULL);
        if (!(interval_ms > 0)) {
            return fail("--interval-ms must be a positive number", 0);
        }
    } else if (argc != 1) {
        return fail("usage: classify [--interval-ms MS] < recording.csv", 0);
    }
    if (fgets(line, sizeof line, stdin) == NULL) {
        return fail("no header row on stdin", 0);
    }
    columns = split(line, cells);
    for (c = 0; c < columns; ++c) {
        if (is_time_column(cells[c])) {
            continue;
        }
        if (axes == MF_IMPULSE_AXES) {
            return fail("more columns than the impulse's axes", 1);
        }
        axis_column[axes++] = c;
    }
    if (axes != MF_IMPULSE_AXES) {
        return fail("fewer columns than the impulse's axes", 1);
    }
    while (fgets(line, sizeof line, stdin) != NULL) {
        ++row;
        if (line[strspn(line, " \t\r\n")] == '\0') {
            continue;
        }
        if (split(line, cells) != columns) {
            return fail("not as many cells as the header", row);
        }
        if (length == capacity) {
            float *grown;
            capacity = capacity ? 2 * capacity : 256;
            grown = realloc(values, (size_t)capacity * MF_IMPULSE_AXES * sizeof *values);
            if (grown == NULL) {
                return fail("out of memory", row);
            }
            values = grown;
        }
        for (c = 0; c < MF_IMPULSE_AXES; ++c) {
            char *end;
            double v = strtod(cells[axis_column[c]], &end);
            if (end == cells[axis_column[c]]) {
                return fail("a cell is not a number", row);
            }
            values[length * MF_IMPULSE_AXES + c] = (float)v;
        }
        ++length;
    }
    if (length == 0) {
        return fail("no readings", 0);
    }
    values = resample(values, length, interval_ms, &length);
    if (values == NULL) {
        return fail("out of memory", 0);
    }
    if (length < MF_IMPULSE_WINDOW_FRAMES && !MF_IMPULSE_ZERO_PAD) {
        return fail("the recording is shorter than one window and zero padding is off", 0);
    }
    count = length < MF_IMPULSE_WINDOW_FRAMES ? 1 : 1 + (length - MF_IMPULSE_WINDOW_FRAMES) / MF_IMPULSE_STRIDE_FRAMES;
    printf("{\"windows\": [");
    for (w = 0; w < count; ++w) {
        float scores[MF_IMPULSE_CLASSES];
        long frames = length < MF_IMPULSE_WINDOW_FRAMES ? length : MF_IMPULSE_WINDOW_FRAMES;
        int status;
        memset(window, 0, sizeof window);
        memcpy(window, values + w * MF_IMPULSE_STRIDE_FRAMES * MF_IMPULSE_AXES,
               (size_t)frames * MF_IMPULSE_AXES * sizeof *window);
        status = mf_impulse_run_window(window, scores);
        if (status != 0) {
            fprintf(stderr, "classify: window %ld: impulse status %d\n", w, status);
            return 1;
        }
        for (c = 0; c < MF_IMPULSE_CLASSES; ++c) {
            sums[c] += scores[c];
        }
        printf("%s{\"index\": %ld, ", w ? ", " : "", w);
        print_result(scores);
        printf("}");
    }
    for (c = 0; c < MF_IMPULSE_CLASSES; ++c) {
        mean[c] = (float)(sums[c] / (double)count);
    }
    printf("], ");
#if MF_IMPULSE_ANOMALY
    /* As the studio reports an anomaly block: the mean score and the threshold it is compared with. */
    printf("\"score\": %.5f, \"threshold\": %.5f, ", mean[0], MF_IMPULSE_ANOMALY_THRESHOLD);
#endif
    print_result(mean);
    printf("}\n");
    free(values);
    return 0;
}
