#include "ui.h"

#include <QFont>
#include <QGuiApplication>
#include <QQmlContext>
#include <QQuickStyle>
#include <QUrl>

namespace confab::chat {

void prepare_style() { QQuickStyle::setStyle(QStringLiteral("Material")); }

void prepare_font() {
  QFont font(QStringLiteral("Inter"));
  font.setPixelSize(14);
  font.setHintingPreference(QFont::PreferNoHinting);
  QGuiApplication::setFont(font);
}

QQuickWindow* load_window(QQmlApplicationEngine& engine, AppController& app) {
  qmlRegisterSingletonType(QUrl(QStringLiteral("qrc:/confab/qml/Theme.qml")), "Confab", 1, 0, "Theme");
  engine.rootContext()->setContextProperty(QStringLiteral("app"), &app);
  engine.load(QUrl(QStringLiteral("qrc:/confab/qml/Main.qml")));
  if (engine.rootObjects().isEmpty()) return nullptr;
  return qobject_cast<QQuickWindow*>(engine.rootObjects().constFirst());
}

}  // namespace confab::chat
