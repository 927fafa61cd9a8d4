// Host side of the Arduino APIs in Arduino.h, Arduino_LSM9DS1.h and PDM.h for QEMU mps2-an386: a 1 kHz
// SysTick clock (run QEMU with -icount so that time follows the instructions executed, deterministically),
// Serial on semihosting stdout, and the IMU and microphone replaying recordings read over semihosting.
// Exit codes: 0 when the recording is over, MF_HOST_EXIT_SETUP when the test set-up is wrong (message on
// stderr); the startup code's fault handler exits with 4.
#include <stdio.h>

#include "Arduino.h"
#include "Arduino_LSM9DS1.h"
#include "PDM.h"

#ifndef MF_HOST_TAIL_MS
#define MF_HOST_TAIL_MS 1000  // how long loop() keeps running after the last microphone block
#endif

#define MF_HOST_EXIT_SETUP 3

namespace {

// SysTick and the vector table offset register (ARMv7-M system control space).
volatile uint32_t *const SYST_CSR = reinterpret_cast<volatile uint32_t *>(0xE000E010u);
volatile uint32_t *const SYST_RVR = reinterpret_cast<volatile uint32_t *>(0xE000E014u);
volatile uint32_t *const SYST_CVR = reinterpret_cast<volatile uint32_t *>(0xE000E018u);
volatile uint32_t *const SCB_VTOR = reinterpret_cast<volatile uint32_t *>(0xE000ED08u);
const uint32_t CORE_CLOCK_HZ = 25000000u;  // the MPS2 FPGA images' system clock, which SysTick counts
const uint32_t TICKS_PER_MS = CORE_CLOCK_HZ / 1000u;
const int SYSTICK_VECTOR = 15;

// Like mbed's NVIC_SetVector: a copy of the vector table in RAM, so that SysTick can get a handler.
alignas(512) uint32_t ram_vectors[128];
volatile uint32_t now_ms = 0;

// A critical section that nests, as mbed's does: PDM.read() is called from the interrupt's callback too.
class Critical {
public:
    Critical() {
        __asm__ volatile("mrs %0, primask" : "=r"(primask_));
        __asm__ volatile("cpsid i" ::: "memory");
    }
    ~Critical() {
        if ((primask_ & 1u) == 0u) {
            __asm__ volatile("cpsie i" ::: "memory");
        }
    }

private:
    uint32_t primask_;
};

[[noreturn]] void setup_error(const char *what) {
    fflush(stdout);
    fprintf(stderr, "arduino host: %s\n", what);
    exit(MF_HOST_EXIT_SETUP);
}

[[noreturn]] void recording_over() {
    fflush(stdout);
    exit(0);
}

// The whole file, from a fresh heap block; its byte count in *size.
uint8_t *read_file(const char *path, size_t *size) {
    FILE *file = fopen(path, "rb");
    if (file == nullptr) {
        setup_error("the recording file is missing");
    }
    size_t cap = 4096, used = 0;
    uint8_t *data = static_cast<uint8_t *>(malloc(cap));
    for (;;) {
        if (data == nullptr) {
            setup_error("the recording does not fit in memory");
        }
        used += fread(data + used, 1, cap - used, file);
        if (used < cap) {
            break;
        }
        cap *= 2;
        data = static_cast<uint8_t *>(realloc(data, cap));
    }
    fclose(file);
    *size = used;
    return data;
}

void pdm_tick();

extern "C" void host_systick_handler() {
    now_ms = now_ms + 1;
    pdm_tick();
}

void start_clock() {
    const uint32_t *vectors = reinterpret_cast<const uint32_t *>(*SCB_VTOR);
    for (int i = 0; i < 16; ++i) {
        ram_vectors[i] = vectors[i];
    }
    ram_vectors[SYSTICK_VECTOR] = reinterpret_cast<uint32_t>(&host_systick_handler);
    *SCB_VTOR = reinterpret_cast<uint32_t>(ram_vectors);
    __asm__ volatile("dsb\n\tisb" ::: "memory");
    *SYST_RVR = TICKS_PER_MS - 1u;
    *SYST_CVR = 0u;
    *SYST_CSR = 7u;  // processor clock, interrupt on wrap, enabled
}

// ---- IMU ----
const int IMU_VALUES = 9;
const float *imu_rows = nullptr;
size_t imu_count = 0;
size_t imu_next[3] = {0, 0, 0};  // next row of the accelerometer, gyroscope and magnetometer

int imu_available(int sensor) {
    if (imu_rows == nullptr) {
        return 0;
    }
    if (imu_next[sensor] >= imu_count) {
        recording_over();
    }
    return 1;
}

int imu_read(int sensor, float &x, float &y, float &z) {
    if (imu_rows == nullptr || imu_next[sensor] >= imu_count) {
        return 0;
    }
    const float *row = imu_rows + imu_next[sensor]++ * IMU_VALUES + 3 * sensor;
    x = row[0];
    y = row[1];
    z = row[2];
    return 1;
}

// ---- PDM microphone ----
const size_t PDM_BLOCK_SAMPLES = 256;
const int16_t *pdm_samples = nullptr;
size_t pdm_count = 0;
uint32_t pdm_rate = 0;
uint32_t pdm_start_ms = 0;
size_t pdm_delivered = 0;
int16_t pdm_block[PDM_BLOCK_SAMPLES];
volatile size_t pdm_block_bytes = 0;  // unread bytes at the start of pdm_block
volatile bool pdm_over = false;
volatile uint32_t pdm_over_ms = 0;
void (*pdm_callback)(void) = nullptr;

// In the SysTick interrupt: deliver every block whose last sample has been "recorded" by now.
void pdm_tick() {
    if (pdm_samples == nullptr || pdm_over) {
        return;
    }
    const uint64_t due = static_cast<uint64_t>(now_ms - pdm_start_ms) * pdm_rate / 1000u;
    while (!pdm_over && (due >= pdm_delivered + PDM_BLOCK_SAMPLES || due >= pdm_count)) {
        size_t n = pdm_count - pdm_delivered;
        n = n < PDM_BLOCK_SAMPLES ? n : PDM_BLOCK_SAMPLES;
        // A block the sketch left unread is overwritten, as the hardware's double buffer does.
        memcpy(pdm_block, pdm_samples + pdm_delivered, n * sizeof(int16_t));
        pdm_block_bytes = n * sizeof(int16_t);
        pdm_delivered += n;
        if (pdm_delivered == pdm_count) {
            pdm_over = true;
            pdm_over_ms = now_ms;
        }
        if (pdm_callback != nullptr) {
            pdm_callback();
        }
    }
}

}  // namespace

// ---- Arduino core ----
unsigned long millis() { return now_ms; }

// Millisecond resolution: reading SysTick's counter is a device access that QEMU's -icount makes slow, and
// the sketches' periods are whole milliseconds at the rates they run at.
unsigned long micros() { return now_ms * 1000u; }

void delay(unsigned long ms) {
    const unsigned long start = millis();
    while (millis() - start < ms) {
    }
}

HostSerial Serial;

void HostSerial::begin(unsigned long baud) {
    (void)baud;
    setvbuf(stdout, nullptr, _IOLBF, 256);
}

size_t HostSerial::print(const char *text) { return fwrite(text, 1, strlen(text), stdout); }

size_t HostSerial::print(char c) { return fputc(c, stdout) == EOF ? 0 : 1; }

size_t HostSerial::print(int value) { return print(static_cast<long>(value)); }

size_t HostSerial::print(long value) {
    if (value < 0) {
        return print('-') + print(0ul - static_cast<unsigned long>(value));
    }
    return print(static_cast<unsigned long>(value));
}

size_t HostSerial::print(unsigned long value) {
    char digits[12];
    int n = 0;
    do {
        digits[n++] = static_cast<char>('0' + value % 10u);
        value /= 10u;
    } while (value != 0u);
    size_t written = 0;
    while (n > 0) {
        written += print(digits[--n]);
    }
    return written;
}

// Print's float format: rounded half up at the last decimal, "nan", "inf" and "ovf" for what it cannot show.
size_t HostSerial::print(double value, int digits) {
    if (isnan(value)) {
        return print("nan");
    }
    if (isinf(value)) {
        return print("inf");
    }
    if (value > 4294967040.0 || value < -4294967040.0) {
        return print("ovf");
    }
    size_t written = 0;
    if (value < 0.0) {
        written += print('-');
        value = -value;
    }
    double rounding = 0.5;
    for (int i = 0; i < digits; ++i) {
        rounding /= 10.0;
    }
    value += rounding;
    const unsigned long whole = static_cast<unsigned long>(value);
    double rest = value - static_cast<double>(whole);
    written += print(whole);
    if (digits > 0) {
        written += print('.');
    }
    for (int i = 0; i < digits; ++i) {
        rest *= 10.0;
        const int digit = static_cast<int>(rest);
        written += print(static_cast<char>('0' + digit));
        rest -= digit;
    }
    return written;
}

size_t HostSerial::println() { return print('\r') + print('\n'); }
size_t HostSerial::println(const char *text) { return print(text) + println(); }
size_t HostSerial::println(char c) { return print(c) + println(); }
size_t HostSerial::println(int value) { return print(value) + println(); }
size_t HostSerial::println(long value) { return print(value) + println(); }
size_t HostSerial::println(unsigned long value) { return print(value) + println(); }
size_t HostSerial::println(double value, int digits) { return print(value, digits) + println(); }

// ---- Arduino_LSM9DS1 ----
LSM9DS1Class IMU;

int LSM9DS1Class::begin() {
    size_t size = 0;
    imu_rows = reinterpret_cast<const float *>(read_file("imu.bin", &size));
    imu_count = size / (IMU_VALUES * sizeof(float));
    return 1;
}

int LSM9DS1Class::accelerationAvailable() { return imu_available(0); }
int LSM9DS1Class::gyroscopeAvailable() { return imu_available(1); }
int LSM9DS1Class::magneticFieldAvailable() { return imu_available(2); }
int LSM9DS1Class::readAcceleration(float &x, float &y, float &z) { return imu_read(0, x, y, z); }
int LSM9DS1Class::readGyroscope(float &x, float &y, float &z) { return imu_read(1, x, y, z); }
int LSM9DS1Class::readMagneticField(float &x, float &y, float &z) { return imu_read(2, x, y, z); }

// ---- PDM ----
PDMClass PDM;

int PDMClass::begin(int channels, int sampleRate) {
    if (channels != 1 || (sampleRate != 16000 && sampleRate != 41667)) {
        return 0;
    }
    size_t size = 0;
    const uint8_t *data = read_file("pdm.bin", &size);
    if (size < 4) {
        setup_error("pdm.bin has no sample rate");
    }
    memcpy(&pdm_rate, data, sizeof pdm_rate);
    if (pdm_rate != static_cast<uint32_t>(sampleRate)) {
        setup_error("the sketch asks for another sample rate than the recording's");
    }
    const Critical critical;
    pdm_samples = reinterpret_cast<const int16_t *>(data + 4);
    pdm_count = (size - 4) / sizeof(int16_t);
    pdm_start_ms = now_ms;
    return 1;
}

int PDMClass::available() { return static_cast<int>(pdm_block_bytes); }

int PDMClass::read(void *buffer, size_t size) {
    const Critical critical;
    size_t n = pdm_block_bytes < size ? pdm_block_bytes : size;
    memcpy(buffer, pdm_block, n);
    memmove(pdm_block, reinterpret_cast<uint8_t *>(pdm_block) + n, pdm_block_bytes - n);
    pdm_block_bytes = pdm_block_bytes - n;
    return static_cast<int>(n);
}

void PDMClass::onReceive(void (*function)(void)) { pdm_callback = function; }

// ---- main, as the Arduino core runs a sketch ----
extern "C" void __libc_init_array(void);
extern "C" void _init(void) {}  // no crti.o with -nostartfiles; __libc_init_array calls it

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    __libc_init_array();  // C++ constructors of the sketch's and the libraries' globals
    start_clock();
    setup();
    for (;;) {
        loop();
        if (pdm_over && now_ms - pdm_over_ms > MF_HOST_TAIL_MS) {
            recording_over();
        }
    }
}
