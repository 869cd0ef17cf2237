#include "lpo_hardware.hpp"

#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "lpo_distributions.hpp"

namespace llmpo {

namespace {

// What upstream's VirtualHardwarePlatform reads of a device, with its defaults
// (hardware/virtual_hardware.py).
struct Device {
  std::string id;
  double memory_bytes = 80e9;
  double bandwidth_gb_per_s = 1000;
  double fp16_tflops = 100;
  int64_t sms = 108;
  YAML::Node node;
  bool same_figures(const Device& o) const {
    return memory_bytes == o.memory_bytes && bandwidth_gb_per_s == o.bandwidth_gb_per_s &&
           fp16_tflops == o.fp16_tflops && sms == o.sms;
  }
};

Device read_device(LpoReader& reader, const YAML::Node& node, const std::string& path) {
  Device device;
  device.node = node;
  device.id = reader.text(node, "device_id", path + ".device_id").value_or("");
  if (device.id.empty()) reader.fail(node, path + ".device_id", "required: the id frameworks name in gpu_id");
  device.memory_bytes = reader.number(node, "memory_capacity_bytes", path + ".memory_capacity_bytes", 1, 1e16)
                            .value_or(device.memory_bytes);
  device.bandwidth_gb_per_s =
      reader.number(node, "memory_gbps", path + ".memory_gbps", 1e-3, 1e9).value_or(device.bandwidth_gb_per_s);
  if (const auto peaks = reader.map(node, "peak_tflops", path + ".peak_tflops")) {
    device.fp16_tflops = reader.number(*peaks, "fp16", path + ".peak_tflops.fp16", 1e-6, 1e9).value_or(device.fp16_tflops);
    reader.check_keys(*peaks, path + ".peak_tflops", {"fp16"},
                      {{"int8", "not converted: upstream's cost model uses only fp16; the preset's int8 is kept"}});
  }
  device.sms = reader.integer(node, "processing_units", path + ".processing_units", 1, 100000).value_or(device.sms);
  return device;
}

double fp16_tflops(const GpuSpec& gpu) { return gpu.peak(ComputeType::fp16) / 1e12; }

// A vendor figure "with sparsity" is twice the dense one; upstream examples quote either.
double tflops_distance(double upstream, double dense) {
  return std::min(std::abs(std::log(upstream / dense)), std::abs(std::log(upstream / (2 * dense))));
}

const GpuSpec& nearest_preset(const Device& device, const GpuLibrary& gpus) {
  const GpuSpec* best = nullptr;
  double best_distance = std::numeric_limits<double>::infinity();
  for (const auto& gpu : gpus.gpus()) {
    if (fp16_tflops(gpu) <= 0 || gpu.sm_count <= 0) continue;
    const double distance = std::abs(std::log(device.memory_bytes / gpu.memory_bytes)) +
                            std::abs(std::log(device.bandwidth_gb_per_s * 1e9 / gpu.memory_bandwidth_bytes_per_s)) +
                            tflops_distance(device.fp16_tflops, fp16_tflops(gpu)) +
                            0.25 * std::abs(std::log(static_cast<double>(device.sms) / static_cast<double>(gpu.sm_count)));
    if (distance < best_distance) {
      best_distance = distance;
      best = &gpu;
    }
  }
  if (best == nullptr) throw InternalError("the GPU library has no GPU with fp16 TFLOPS and SMs");
  return *best;
}

bool close(double a, double b, double relative) { return std::abs(a / b - 1) <= relative; }

LpoGpuGroup group_for(LpoReader& reader, const Device& device, const GpuLibrary& gpus, const std::string& path) {
  const GpuSpec& gpu = nearest_preset(device, gpus);
  LpoGpuGroup group;
  group.name = device.id;
  group.preset = gpu.id;
  group.comment = fmt::format("nearest preset to {:.4g} GB, {:.4g} GB/s, {:.4g} fp16 TFLOPS, {} SMs", device.memory_bytes / 1e9,
                              device.bandwidth_gb_per_s, device.fp16_tflops, device.sms);
  // Memory: "80 GB" configs (80e9 bytes) name the same card as the driver's 79 GiB, so only a
  // difference beyond 10% is a different memory size.
  if (!close(device.memory_bytes, gpu.memory_bytes, 0.10)) {
    group.overrides.push_back("memory_gib: " + lpo_number(device.memory_bytes / (1024.0 * 1024 * 1024)));
    reader.note(device.node, path + ".memory_capacity_bytes",
                fmt::format("{:.4g} GB differs from {}'s {:.4g} GiB: overridden (memory_gib)", device.memory_bytes / 1e9,
                            gpu.id, gpu.memory_bytes / (1024.0 * 1024 * 1024)));
  }
  if (!close(device.bandwidth_gb_per_s * 1e9, gpu.memory_bandwidth_bytes_per_s, 0.02)) {
    group.overrides.push_back("memory_bandwidth_tb_per_s: " + lpo_number(device.bandwidth_gb_per_s / 1000));
    reader.note(device.node, path + ".memory_gbps",
                fmt::format("{:.4g} GB/s differs from {}'s {:.4g} GB/s: overridden (memory_bandwidth_tb_per_s)",
                            device.bandwidth_gb_per_s, gpu.id, gpu.memory_bandwidth_bytes_per_s / 1e9));
  }
  const double dense = fp16_tflops(gpu);
  if (close(device.fp16_tflops, 2 * dense, 0.02) && !close(device.fp16_tflops, dense, 0.02)) {
    reader.note(device.node, path + ".peak_tflops.fp16",
                fmt::format("{:.4g} TFLOPS is {}'s figure with sparsity; its dense {:.4g} TFLOPS is used, as the "
                            "roofline needs",
                            device.fp16_tflops, gpu.id, dense));
  } else if (!close(device.fp16_tflops, dense, 0.02)) {
    // The models run in bf16, which our roofline times with the bf16 peak: both are set.
    const std::string tflops = lpo_number(device.fp16_tflops);
    group.overrides.push_back("peak_dense_tflops: {fp16: " + tflops + ", bf16: " + tflops + "}");
    reader.note(device.node, path + ".peak_tflops.fp16",
                fmt::format("{} TFLOPS differs from {}'s dense {:.4g}: overridden for fp16 and bf16", tflops, gpu.id, dense));
  }
  if (device.sms != gpu.sm_count) {
    group.overrides.push_back(fmt::format("sm_count: {}", device.sms));
    reader.note(device.node, path + ".processing_units",
                fmt::format("{} SMs differs from {}'s {}: overridden (sm_count)", device.sms, gpu.id, gpu.sm_count));
  }
  return group;
}

}  // namespace

LpoHardware lpo_hardware(LpoReader& reader, const YAML::Node& root, const GpuLibrary& gpus) {
  const auto profile = reader.map(root, "hardware_profile", "hardware_profile");
  if (!profile) reader.fail(root, "hardware_profile", "required: the compute_devices the frameworks run on");
  reader.check_keys(*profile, "hardware_profile", {"compute_devices"},
                    {{"network_links", "not converted: GPUs of a group talk over the preset's interconnect "
                                       "(hardware.<group>.interconnect); client links are not modelled"},
                     {"memory_devices", "not converted: no separate memory devices here"}});
  const auto devices = reader.list(*profile, "compute_devices", "hardware_profile.compute_devices");
  if (!devices || devices->size() == 0)
    reader.fail(*profile, "hardware_profile.compute_devices", "required: a non-empty list of devices");
  LpoHardware hardware;
  std::vector<Device> representatives;  // one per group
  for (std::size_t i = 0; i < devices->size(); ++i) {
    const std::string path = fmt::format("hardware_profile.compute_devices[{}]", i);
    const YAML::Node node = (*devices)[i];
    if (!node.IsMap()) reader.fail(node, path, "expected a device mapping (device_id, device_type, ...)");
    reader.check_keys(node, path,
                      {"device_id", "device_type", "peak_tflops", "memory_capacity_bytes", "memory_gbps", "processing_units"});
    const std::string type = reader.text(node, "device_type", path + ".device_type").value_or("GPU");
    const Device device = read_device(reader, node, path);
    if (hardware.group_of_device.count(device.id) > 0)
      reader.fail(node, path + ".device_id", "device '" + device.id + "' is listed twice");
    if (type != "GPU") {
      reader.note(node, path, "a " + type + " device ('" + device.id + "'): not converted, only GPUs run models here");
      continue;
    }
    std::size_t index = representatives.size();
    for (std::size_t g = 0; g < representatives.size(); ++g)
      if (representatives[g].same_figures(device)) index = g;
    if (index == representatives.size()) {
      representatives.push_back(device);
      hardware.groups.push_back(group_for(reader, device, gpus, path));
    }
    hardware.groups[index].device_ids.push_back(device.id);
    hardware.group_of_device[device.id] = index;
  }
  if (hardware.groups.empty()) reader.fail(*devices, "hardware_profile.compute_devices", "no device of device_type GPU");
  return hardware;
}

}  // namespace llmpo
