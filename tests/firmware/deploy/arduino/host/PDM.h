// The PDM library's microphone object (Arduino mbed core, Nano 33 BLE Sense), replaying a recording. The
// recording is the file pdm.bin, read over semihosting at begin(): a little-endian uint32 sample rate, then
// int16 mono samples. As on the board, samples arrive in blocks of 256 (the library's 512-byte buffer) at the
// recording's rate, and the onReceive callback runs in the interrupt that delivers each block (here SysTick).
// Like the nRF52840 library, begin() accepts 16000 and 41667 Hz only.
#ifndef MF_ARDUINO_HOST_PDM_H
#define MF_ARDUINO_HOST_PDM_H

#include <stddef.h>

class PDMClass {
public:
    int begin(int channels, int sampleRate);
    int available();
    int read(void *buffer, size_t size);
    void onReceive(void (*function)(void));
};

extern PDMClass PDM;

#endif
