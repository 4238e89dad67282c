pragma Singleton
import QtQuick

// Colours, sizes and type of the app, light and dark.
QtObject {
    property bool dark: false

    readonly property string fontFamily: "Inter"
    readonly property int fontSize: 14
    readonly property int smallFontSize: 12
    readonly property int radius: 16
    readonly property int spacing: 8

    readonly property color background: dark ? "#15171c" : "#ffffff"
    readonly property color surface: dark ? "#1c1f26" : "#f7f8fa"
    readonly property color raised: dark ? "#232731" : "#ffffff"
    readonly property color divider: dark ? "#2b303b" : "#e6e8ec"
    readonly property color text: dark ? "#e8eaef" : "#1b1e25"
    readonly property color textMuted: dark ? "#959cab" : "#6a7180"
    readonly property color accent: dark ? "#6d95ff" : "#3565e0"
    readonly property color accentSoft: dark ? "#26324f" : "#e8eefc"
    readonly property color danger: dark ? "#ff6b6b" : "#cf3535"
    readonly property color dangerSoft: dark ? "#3b2024" : "#fdeaea"

    readonly property color sidebar: dark ? "#101216" : "#1d2230"
    readonly property color sidebarText: "#b7bdcb"
    readonly property color sidebarTextStrong: "#ffffff"
    readonly property color sidebarHover: dark ? "#1b1e26" : "#283044"
    readonly property color sidebarSelected: "#3565e0"

    readonly property color bubbleOther: dark ? "#252933" : "#f0f2f5"
    readonly property color bubbleOwn: dark ? "#2f5bd1" : "#3565e0"
    readonly property color bubbleOwnText: "#ffffff"
    readonly property color bubbleOwnMuted: "#cddbff"
    readonly property color readTick: "#7ee2a8"

    readonly property color online: "#2fb36d"
    readonly property color idle: "#e0a526"
    readonly property color offline: "#8a909c"

    readonly property color banner: dark ? "#3a3016" : "#fff5d9"
    readonly property color bannerText: dark ? "#f3dc9a" : "#6b5200"

    function presenceColor(status) {
        return status === "online" ? online : status === "idle" ? idle : offline
    }
    // A stable colour per user, for avatars.
    function avatarColor(id) {
        const palette = ["#e0645c", "#e59b3a", "#4aa96c", "#3a9dc9", "#6a6ee0", "#b35fd1", "#d4588f", "#4f8f8a"]
        let h = 0
        for (let i = 0; i < id.length; ++i) h = (h * 31 + id.charCodeAt(i)) % 9973
        return palette[h % palette.length]
    }
    // Text for a StyledText label, with its markup characters shown as they are.
    function plain(text) {
        return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    }
}
