// Precompiled header for the engine's libtorch sources. libtorch's headers dominate build
// time on small machines; every torch-using translation unit shares this one parse.
#pragma once
#include <torch/torch.h>
