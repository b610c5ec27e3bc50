#include "faces.h"

#include <dlib/dnn.h>
#include <dlib/image_processing.h>
#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/image_transforms.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

namespace {

// The descriptor network, layer for layer as `dlib_face_recognition_resnet_model_v1.dat` was
// trained: a 29-layer ResNet over a 150×150 aligned face chip. The type must match the file
// exactly, or deserialising fails.
using namespace dlib;

template <int filters, template <typename> class norm, int stride, typename input>
using conv_pair = norm<con<filters, 3, 3, 1, 1, relu<norm<con<filters, 3, 3, stride, stride, input>>>>>;

template <int filters, typename input>
using same_size_unit = relu<add_prev1<conv_pair<filters, affine, 1, tag1<input>>>>;

template <int filters, typename input>
using halving_unit =
    relu<add_prev2<avg_pool<2, 2, 2, 2, skip1<tag2<conv_pair<filters, affine, 2, tag1<input>>>>>>>;

template <typename input> using stage256a = halving_unit<256, input>;
template <typename input> using stage256b = same_size_unit<256, same_size_unit<256, halving_unit<256, input>>>;
template <typename input> using stage128 = same_size_unit<128, same_size_unit<128, halving_unit<128, input>>>;
template <typename input>
using stage64 = same_size_unit<64, same_size_unit<64, same_size_unit<64, halving_unit<64, input>>>>;
template <typename input> using stage32 = same_size_unit<32, same_size_unit<32, same_size_unit<32, input>>>;

using descriptor_network = loss_metric<fc_no_bias<
    128, avg_pool_everything<stage256a<stage256b<stage128<stage64<stage32<
             max_pool<3, 3, 2, 2, relu<affine<con<32, 7, 7, 2, 2, input_rgb_image_sized<150>>>>>>>>>>>>>;

// dlib's CNN face detector (max-margin object detection), layer for layer as
// `mmod_human_face_detector.dat` was trained: three strided 5×5 stages that quarter the image,
// three 5×5 stages of 45 filters, a 9×9 detection layer, over an image pyramid.
template <long filters, typename input> using mmod_down = con<filters, 5, 5, 2, 2, input>;
template <long filters, typename input> using mmod_same = con<filters, 5, 5, 1, 1, input>;
template <typename input>
using mmod_downsampler =
    relu<affine<mmod_down<32, relu<affine<mmod_down<32, relu<affine<mmod_down<16, input>>>>>>>>>;
template <typename input> using mmod_stage = relu<affine<mmod_same<45, input>>>;
using mmod_network = loss_mmod<con<
    1, 9, 9, 1, 1, mmod_stage<mmod_stage<mmod_stage<mmod_downsampler<input_rgb_image_pyramid<pyramid_down<6>>>>>>>>;

constexpr long chip_size = 150;
constexpr double chip_padding = 0.25;
// How much less certain than the most certain detection a face may be and still count (the
// detector's scores run from 0, its threshold, to about 3 for a clear frontal face).
constexpr double confidence_margin = 1.0;

void write_error(char *error, size_t capacity, const std::string &message) {
    if (error == nullptr || capacity == 0) return;
    const size_t length = std::min(message.size(), capacity - 1);
    std::memcpy(error, message.data(), length);
    error[length] = '\0';
}

// Interleaved 8-bit RGB, `stride` bytes a row, as dlib's image.
matrix<rgb_pixel> copied_image(const uint8_t *rgb, int32_t width, int32_t height, int32_t stride) {
    matrix<rgb_pixel> image(height, width);
    for (long row = 0; row < height; ++row) {
        const uint8_t *source = rgb + row * static_cast<long>(stride);
        for (long column = 0; column < width; ++column) {
            image(row, column) = rgb_pixel(source[0], source[1], source[2]);
            source += 3;
        }
    }
    return image;
}

}  // namespace

struct lk_face_models {
    shape_predictor landmarks;
    descriptor_network network;
};

struct lk_face_worker {
    frontal_face_detector detector;
    shape_predictor landmarks;
    descriptor_network network;
};

extern "C" lk_face_models *lk_face_models_load(
    const char *landmarks_path, const char *descriptor_path, char *error, size_t error_capacity) {
    try {
        auto models = std::make_unique<lk_face_models>();
        deserialize(landmarks_path) >> models->landmarks;
        if (models->landmarks.num_parts() != 5) {
            write_error(error, error_capacity, std::string(landmarks_path) + " is not a 5-point landmark model");
            return nullptr;
        }
        deserialize(descriptor_path) >> models->network;
        return models.release();
    } catch (const std::exception &exception) {
        write_error(error, error_capacity, exception.what());
        return nullptr;
    }
}

extern "C" void lk_face_models_free(lk_face_models *models) { delete models; }

extern "C" lk_face_worker *lk_face_worker_create(const lk_face_models *models, char *error, size_t error_capacity) {
    try {
        auto worker = std::make_unique<lk_face_worker>();
        worker->detector = get_frontal_face_detector();
        worker->landmarks = models->landmarks;
        worker->network = models->network;
        return worker.release();
    } catch (const std::exception &exception) {
        write_error(error, error_capacity, exception.what());
        return nullptr;
    }
}

extern "C" void lk_face_worker_free(lk_face_worker *worker) { delete worker; }

extern "C" int32_t lk_face_worker_analyze(
    lk_face_worker *worker, const uint8_t *rgb, int32_t width, int32_t height, int32_t stride,
    int32_t detection_side, int64_t upsampled_pixels, lk_face *faces, int32_t capacity, int32_t describe,
    char *error, size_t error_capacity) {
    try {
        const matrix<rgb_pixel> image = copied_image(rgb, width, height, stride);

        // Detection on a grey copy no larger than `detection_side`: the HOG detector's cost grows
        // with the pixels, and a portrait's face stays far above its 80-pixel window.
        const double longer = std::max(width, height);
        double scale = std::min(1.0, detection_side / longer);
        matrix<unsigned char> grey;
        assign_image(grey, image);
        matrix<unsigned char> detection(
            std::max(1L, std::lround(height * scale)), std::max(1L, std::lround(width * scale)));
        resize_image(grey, detection);
        std::vector<rect_detection> detected;
        worker->detector(detection, detected);
        while (detected.empty() && static_cast<int64_t>(detection.size()) * 4 <= upsampled_pixels) {
            pyramid_up(detection);
            scale *= 2;
            worker->detector(detection, detected);
        }
        // Detections far less certain than the most certain one are the detector's mistakes
        // (a badge, a pattern): kept, they could outsize the real face and be taken as the subject.
        double most_certain = 0;
        for (const rect_detection &candidate : detected) {
            most_certain = std::max(most_certain, candidate.detection_confidence);
        }
        std::vector<rectangle> found;
        for (const rect_detection &candidate : detected) {
            if (candidate.detection_confidence >= most_certain - confidence_margin) found.push_back(candidate.rect);
        }

        std::vector<rectangle> boxes;
        boxes.reserve(found.size());
        for (const rectangle &box : found) {
            boxes.push_back(rectangle(
                std::lround(box.left() / scale), std::lround(box.top() / scale), std::lround(box.right() / scale),
                std::lround(box.bottom() / scale)));
        }
        // Largest first; position breaks ties, so the order never depends on the detector's.
        std::sort(boxes.begin(), boxes.end(), [](const rectangle &a, const rectangle &b) {
            if (a.area() != b.area()) return a.area() > b.area();
            return a.top() != b.top() ? a.top() < b.top() : a.left() < b.left();
        });

        const int32_t written = std::min<int32_t>(capacity, static_cast<int32_t>(boxes.size()));
        for (int32_t index = 0; index < written; ++index) {
            const rectangle &box = boxes[index];
            lk_face &face = faces[index];
            face.left = static_cast<int32_t>(box.left());
            face.top = static_cast<int32_t>(box.top());
            face.right = static_cast<int32_t>(box.right());
            face.bottom = static_cast<int32_t>(box.bottom());
            face.described = 0;
            if (index < describe) {
                const full_object_detection shape = worker->landmarks(image, box);
                matrix<rgb_pixel> chip;
                extract_image_chip(image, get_face_chip_details(shape, chip_size, chip_padding), chip);
                const matrix<float, 0, 1> descriptor = worker->network(chip);
                for (long component = 0; component < LK_FACE_DESCRIPTOR_LENGTH; ++component) {
                    face.descriptor[component] = descriptor(component);
                }
                face.described = 1;
            }
        }
        return static_cast<int32_t>(boxes.size());
    } catch (const std::exception &exception) {
        write_error(error, error_capacity, exception.what());
        return -1;
    }
}

struct lk_cnn_detector {
    mmod_network network;
};

extern "C" lk_cnn_detector *lk_cnn_detector_load(const char *path, char *error, size_t error_capacity) {
    try {
        auto detector = std::make_unique<lk_cnn_detector>();
        deserialize(path) >> detector->network;
        return detector.release();
    } catch (const std::exception &exception) {
        write_error(error, error_capacity, exception.what());
        return nullptr;
    }
}

extern "C" void lk_cnn_detector_free(lk_cnn_detector *detector) { delete detector; }

extern "C" int32_t lk_cnn_detector_detect(
    lk_cnn_detector *detector, const uint8_t *rgb, int32_t width, int32_t height, int32_t stride,
    int32_t detection_side, char *error, size_t error_capacity) {
    try {
        const matrix<rgb_pixel> image = copied_image(rgb, width, height, stride);
        const double scale = std::min(1.0, detection_side / static_cast<double>(std::max(width, height)));
        matrix<rgb_pixel> detection(
            std::max(1L, std::lround(height * scale)), std::max(1L, std::lround(width * scale)));
        resize_image(image, detection);
        return static_cast<int32_t>(detector->network(detection).size());
    } catch (const std::exception &exception) {
        write_error(error, error_capacity, exception.what());
        return -1;
    }
}
