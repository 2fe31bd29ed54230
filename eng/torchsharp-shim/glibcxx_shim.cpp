// Defines std::ios_base_library_init(), the one GLIBCXX_3.4.32 symbol that TorchSharp-cpu
// 0.107.0's libLibTorchSharp.so needs. GCC 13's libstdc++ added it as an empty function that
// only marks "this object uses iostreams" (its static initialisers already run on load), so an
// empty definition in the same symbol version is a faithful stand-in on a GCC 12 libstdc++.
namespace std
{
    void ios_base_library_init();

    void ios_base_library_init()
    {
    }
}
