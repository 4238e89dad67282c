// Loads the sample app's window (qml/Main.qml) into an engine, over an AppController. The
// app's main(), its tour and its tests share it.
#pragma once

#include <QQmlApplicationEngine>
#include <QQuickWindow>

#include "app_controller.h"

namespace confab::chat {

// Sets the Qt Quick Controls style and the app's font; call before the QGuiApplication
// exists (the style) and after (the font): see main.cpp.
void prepare_style();
void prepare_font();

// Loads the window; nullptr (with the engine's warnings on stderr) if it fails to load.
QQuickWindow* load_window(QQmlApplicationEngine& engine, AppController& app);

}  // namespace confab::chat
