// Face detection and 128-d face descriptors from dlib, behind a C interface Swift can call.
//
// `lk_face_models` holds the models as loaded from disk, once, and is never changed afterwards.
// `lk_face_worker` holds one thread's copies of the detector, the landmark model and the network
// (dlib's networks keep their activations inside, so two threads must never share one).
#ifndef LIKENESS_FACES_H
#define LIKENESS_FACES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LK_FACE_DESCRIPTOR_LENGTH 128

typedef struct lk_face_models lk_face_models;
typedef struct lk_face_worker lk_face_worker;

typedef struct {
    // The face's box in the analysed image's pixels.
    int32_t left, top, right, bottom;
    // Filled only for the faces asked to be described (the largest first).
    int32_t described;
    float descriptor[LK_FACE_DESCRIPTOR_LENGTH];
} lk_face;

// Loads the 5-point landmark model and the ResNet descriptor network. On failure returns NULL and
// writes the reason into `error` (always terminated).
lk_face_models *lk_face_models_load(
    const char *landmarks_path, const char *descriptor_path, char *error, size_t error_capacity);
void lk_face_models_free(lk_face_models *models);

lk_face_worker *lk_face_worker_create(const lk_face_models *models, char *error, size_t error_capacity);
void lk_face_worker_free(lk_face_worker *worker);

// Finds the faces in an interleaved 8-bit RGB image (`stride` bytes a row). Detection runs on a
// copy whose longer side is at most `detection_side`; when that finds nothing, it runs again at
// twice the size, up to `upsampled_pixels` pixels, so that faces under the detector's 80-pixel
// window are still found. Writes up to `capacity` faces into `faces`, largest first, describes
// the first `describe` of them from the full-resolution image, and returns how many faces it
// found in all (which may exceed `capacity`), or -1 with `error` written.
int32_t lk_face_worker_analyze(
    lk_face_worker *worker, const uint8_t *rgb, int32_t width, int32_t height, int32_t stride,
    int32_t detection_side, int64_t upsampled_pixels, lk_face *faces, int32_t capacity, int32_t describe,
    char *error, size_t error_capacity);

// dlib's CNN (MMOD) face detector, for comparing it with the HOG detector the worker uses
// (LikenessBench detectors); not used to score. One thread at a time per detector.
typedef struct lk_cnn_detector lk_cnn_detector;
lk_cnn_detector *lk_cnn_detector_load(const char *path, char *error, size_t error_capacity);
void lk_cnn_detector_free(lk_cnn_detector *detector);
// The faces it finds in an interleaved 8-bit RGB image fitted within `detection_side`, or -1
// with `error` written.
int32_t lk_cnn_detector_detect(
    lk_cnn_detector *detector, const uint8_t *rgb, int32_t width, int32_t height, int32_t stride,
    int32_t detection_side, char *error, size_t error_capacity);

#ifdef __cplusplus
}
#endif

#endif
